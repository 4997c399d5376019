package httpadapter

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
)

// ExportColumns are the columns of a CSV export, in order. They are fixed,
// so that spreadsheets and scripts can rely on them.
var ExportColumns = []string{
	"id", "occurred_at", "type", "user_id", "target_user_id", "ip_address",
	"user_agent", "email", "name", "role", "reason", "changes",
}

// exportWriteWindow is how long each batch of an export may take to reach
// the client. The handler extends the write deadline by this much before
// every batch, so a long export is not cut by the server's WriteTimeout.
const exportWriteWindow = time.Minute

// exportFormat writes the entries of one export format.
type exportFormat struct {
	contentType string
	extension   string
	// start returns the function that writes one entry, and the one that
	// ends the stream.
	start func(w io.Writer) (write func(activity.Entry) error, finish func() error)
}

var exportFormats = map[string]exportFormat{
	"csv":    {contentType: "text/csv; charset=utf-8", extension: "csv", start: startCSV},
	"ndjson": {contentType: "application/x-ndjson", extension: "ndjson", start: startNDJSON},
}

// GET /activity/export
func (h *Handler) exportActivity(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseQuery(r, []string{"format", "user_id", "target_user_id", "from", "to", "tz"}, []string{"type"})
	if err != nil {
		return err
	}
	format, ok := exportFormats[q.get("format")]
	if !ok {
		return roster.Invalid(roster.FieldError{Field: "format", Message: fmt.Sprintf("must be csv or ndjson, got %.40q", q.get("format"))})
	}
	aq, err := activityQuery(q)
	if err != nil {
		return err
	}

	stream := &exportStream{w: w, rc: http.NewResponseController(w), format: format, companyID: c.actor.CompanyID.String()}
	err = h.activity.Export(r.Context(), c.actor.CompanyID, aq, stream.write)
	if err == nil {
		err = stream.finish()
	}
	if err == nil {
		return nil
	}
	if !stream.started {
		return err
	}
	// The status line is sent already, so the client can only learn of the
	// failure from a broken transfer, never from a short file that looks
	// complete.
	h.logError(r, http.StatusInternalServerError, fmt.Errorf("activity export failed after %d entries: %w", stream.count, err))
	panic(http.ErrAbortHandler)
}

// exportStream writes the response of one export. It sends the headers
// with the first entry, or at the end when no entry matches, so that an
// error before the first entry still gets a problem response.
type exportStream struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	format    exportFormat
	companyID string
	started   bool
	count     int
	writeOne  func(activity.Entry) error
	end       func() error
}

func (s *exportStream) begin() {
	s.started = true
	name := fmt.Sprintf("activity-%s-%s.%s", s.companyID, time.Now().UTC().Format("20060102T150405Z"), s.format.extension)
	s.w.Header().Set("Content-Type", s.format.contentType)
	s.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	s.w.Header().Set("Cache-Control", "no-store")
	s.w.Header().Set("X-Content-Type-Options", "nosniff")
	s.w.WriteHeader(http.StatusOK)
	s.writeOne, s.end = s.format.start(s.w)
}

func (s *exportStream) write(e activity.Entry) error {
	if !s.started {
		s.begin()
	}
	if s.count%activity.ExportBatchSize == 0 {
		s.flush()
	}
	s.count++
	return s.writeOne(e)
}

func (s *exportStream) finish() error {
	if !s.started {
		s.begin()
	}
	return s.end()
}

// flush sends what is buffered and extends the write deadline. Both fail
// only with http.ErrNotSupported, for writers such as a test recorder,
// which need neither.
func (s *exportStream) flush() {
	_ = s.rc.Flush()
	_ = s.rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
}

func startCSV(w io.Writer) (func(activity.Entry) error, func() error) {
	cw := csv.NewWriter(w)
	header := cw.Write(ExportColumns)
	write := func(e activity.Entry) error {
		if header != nil {
			return header
		}
		return cw.Write(csvRecord(e))
	}
	finish := func() error {
		cw.Flush()
		if header != nil {
			return header
		}
		return cw.Error()
	}
	return write, finish
}

// csvRecord returns the cells of e in ExportColumns order.
func csvRecord(e activity.Entry) []string {
	j := toEntryJSON(e)
	changes := ""
	if len(e.Details.Changes) > 0 {
		b, err := json.Marshal(e.Details.Changes)
		if err == nil {
			changes = string(b)
		}
	}
	record := []string{
		e.ID.String(), deref(j.OccurredAt), string(e.Type), idString(j.UserID), idString(j.TargetUserID),
		deref(j.IPAddress), e.UserAgent, e.Details.Email, e.Details.Name, e.Details.Role, e.Details.Reason, changes,
	}
	for i, cell := range record {
		record[i] = neutralizeFormula(cell)
	}
	return record
}

// neutralizeFormula prefixes a cell that a spreadsheet would run as a
// formula, one that starts with =, +, -, @, a tab or a carriage return,
// with an apostrophe, which spreadsheets read as "text follows".
func neutralizeFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func startNDJSON(w io.Writer) (func(activity.Entry) error, func() error) {
	enc := json.NewEncoder(w)
	write := func(e activity.Entry) error { return enc.Encode(toEntryJSON(e)) }
	return write, func() error { return nil }
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func idString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

type syncPageJSON struct {
	Entries    []entryJSON `json:"entries"`
	NextCursor string      `json:"next_cursor"`
}

// GET /activity/sync
func (h *Handler) syncActivity(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseQuery(r, []string{"cursor", "limit"}, nil)
	if err != nil {
		return err
	}
	var fields fieldErrors
	limit := fields.limit(q, activity.MaxSyncPageSize)
	if err := fields.err(); err != nil {
		return err
	}
	page, err := h.activity.Sync(r.Context(), c.actor.CompanyID, q.get("cursor"), limit)
	if err != nil {
		return err
	}
	out := syncPageJSON{Entries: make([]entryJSON, 0, len(page.Entries)), NextCursor: page.Cursor}
	for _, e := range page.Entries {
		out.Entries = append(out.Entries, toEntryJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
