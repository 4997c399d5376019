package cursor

import "testing"

func FuzzDecode(f *testing.F) {
	c := New(nil)
	valid, err := c.Encode("f", position{Name: "ana", ID: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		var got position
		err := c.Decode(s, "f", &got)
		if err == nil && s != valid {
			// Only a correctly sealed cursor decodes. Base64 allows no
			// second spelling of the same bytes without padding, so any
			// other accepted input is a forgery.
			t.Fatalf("decoded a cursor that was never issued: %q", s)
		}
	})
}
