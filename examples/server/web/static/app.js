// The admin page of the Roster example server. It talks only to the
// server's public API: POST /login and /logout, and the routes under /api.
// Plain JavaScript with no build step and no dependencies.
(function () {
  'use strict';

  const TOKEN_KEY = 'roster.token';
  const EMAIL_KEY = 'roster.email';

  // The optional columns of the team list, in display order. The keys are
  // the column names of GET and PUT /api/users/columns.
  const OPTIONAL_COLUMNS = [
    ['role', 'Role'],
    ['verification_status', 'Verification Status'],
    ['can_access_phone_calls', 'Can access phone calls'],
    ['can_access_ai_assistant', 'Can access AI assistant'],
    ['conversation_limit', 'Conversation Limit'],
  ];

  const ACTIVITY_LABELS = {
    company_created: 'Company created',
    login: 'Log in',
    logout: 'Log out',
    login_rejected: 'Rejected log in',
    user_invited: 'Invited',
    verification_resent: 'Verification resent',
    user_verified: 'Verified',
    user_updated: 'Updated',
    user_archived: 'Archived',
    seat_limit_changed: 'Seat limit changed',
  };

  // Readable names of the request fields that problems name.
  const FIELD_LABELS = {
    email: 'Email address',
    name: 'Name',
    role: 'Role',
    conversation_limit: 'Conversation limit',
    can_access_phone_calls: 'Can access phone calls',
    can_access_ai_assistant: 'Can access AI assistant',
    confirmation: 'Confirmation',
    'If-Match': 'Version',
    from: 'Start Date',
    to: 'End Date',
    tz: 'Time zone',
    user_id: 'User',
    type: 'Activity Type',
    limit: 'Rows per page',
    search: 'Search',
    cursor: 'Page',
    password: 'Password',
    seat_limit: 'Seat limit',
  };

  const ACTIVITY_PAGE_SIZE = 25;
  const DIRECTORY_PAGE_SIZE = 100;
  const SEARCH_DELAY_MS = 300;

  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    email: sessionStorage.getItem(EMAIL_KEY) || '',
    me: null,
    columns: defaultColumns(),
    seats: null,
    // directory maps user ids to every user of the company, to resolve the
    // ids of the activity log and to fill its User filter.
    directory: new Map(),
    users: {
      items: [],
      cursors: [null],
      page: 0,
      nextCursor: null,
      pageSize: 10,
      request: 0,
    },
    activity: {
      loaded: false,
      types: [],
      entries: [],
      cursors: [null],
      page: 0,
      nextCursor: null,
      filter: { user_id: '', type: '', from: '', to: '' },
      request: 0,
    },
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------
  // API

  // ApiError is a failed request, with the problem's detail as message.
  class ApiError extends Error {
    constructor(status, problem) {
      const detail = problem && typeof problem.detail === 'string' && problem.detail
        ? problem.detail
        : fallbackDetail(status);
      super(detail);
      this.name = 'ApiError';
      this.status = status;
      this.code = problem && typeof problem.code === 'string' ? problem.code : '';
      this.fields = problem && Array.isArray(problem.fields)
        ? problem.fields.filter((f) => f && typeof f.field === 'string' && typeof f.message === 'string')
        : [];
    }
  }

  function fallbackDetail(status) {
    if (status === 0) {
      return 'The server cannot be reached. Check the connection and try again.';
    }
    return 'The server responded with status ' + status + '. Try again, and report it if it persists.';
  }

  // api sends a request and returns the decoded JSON body, or null for an
  // empty one. It throws an ApiError for every status from 400 up.
  async function api(method, path, options) {
    const opts = options || {};
    const headers = { Accept: 'application/json, application/problem+json' };
    if (state.token && opts.auth !== false) {
      headers.Authorization = 'Bearer ' + state.token;
    }
    if (opts.ifMatch) {
      headers['If-Match'] = opts.ifMatch;
    }

    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }

    let response;
    try {
      response = await fetch(path, { method, headers, body, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, null);
    }

    let data = null;
    const type = response.headers.get('Content-Type') || '';
    if (response.status !== 204 && type.includes('json')) {
      try {
        data = await response.json();
      } catch (err) {
        data = null;
      }
    }

    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401 && path.startsWith('/api/')) {
        endSession('Your session has ended: ' + error.message);
      }
      throw error;
    }
    return data;
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== '' && value !== null && value !== undefined) {
        search.append(key, String(value));
      }
    }
    const text = search.toString();
    return text ? '?' + text : '';
  }

  function etagOf(user) {
    return 'W/"' + user.version + '"';
  }

  // ---------------------------------------------------------------------
  // DOM helpers

  // el builds an element with attributes and children; strings become
  // text nodes, so no server data is ever parsed as HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) {
        continue;
      }
      if (key === 'class') {
        node.className = value;
      } else if (key === 'text') {
        node.textContent = value;
      } else if (key.startsWith('on')) {
        node.addEventListener(key.slice(2), value);
      } else if (value === true) {
        node.setAttribute(key, '');
      } else {
        node.setAttribute(key, value);
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) {
        continue;
      }
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function fieldLabel(field) {
    if (FIELD_LABELS[field]) {
      return FIELD_LABELS[field];
    }
    if (field.startsWith('columns.')) {
      return 'Column ' + field.slice('columns.'.length);
    }
    return field;
  }

  // showError fills an alert with the problem's detail and a list of its
  // field messages.
  function showError(alert, err) {
    alert.replaceChildren(el('p', { text: err.message }));
    if (err.fields && err.fields.length) {
      alert.append(el('ul', {}, err.fields.map((f) => el('li', { text: fieldLabel(f.field) + ': ' + f.message }))));
    }
    alert.hidden = false;
  }

  function hideAlert(alert) {
    alert.hidden = true;
    alert.replaceChildren();
  }

  let noticeTimer = 0;

  function showNotice(message) {
    const notice = $('page-notice');
    notice.textContent = message;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      notice.hidden = true;
    }, 8000);
  }

  function showPageError(err) {
    showError($('page-error'), err);
  }

  // setFieldErrors marks the controls that a problem's fields name, using
  // controls, a map from field names to input ids, and returns whether any
  // was marked.
  function setFieldErrors(form, controls, err) {
    clearFieldErrors(form);
    let first = null;
    for (const f of err.fields || []) {
      const input = controls[f.field] && $(controls[f.field]);
      if (!input) {
        continue;
      }
      const message = el('p', { class: 'field-message', id: input.id + '-error', text: f.message });
      input.closest('.field, .switch-field').append(message);
      input.setAttribute('aria-invalid', 'true');
      const described = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      input.dataset.describedby = described.join(' ');
      input.setAttribute('aria-describedby', described.concat(message.id).join(' '));
      first = first || input;
    }
    if (first) {
      first.focus();
    }
    return first !== null;
  }

  function clearFieldErrors(form) {
    for (const message of form.querySelectorAll('.field-message')) {
      message.remove();
    }
    for (const input of form.querySelectorAll('[aria-invalid]')) {
      input.removeAttribute('aria-invalid');
      if (input.dataset.describedby !== undefined) {
        if (input.dataset.describedby) {
          input.setAttribute('aria-describedby', input.dataset.describedby);
        } else {
          input.removeAttribute('aria-describedby');
        }
        delete input.dataset.describedby;
      }
    }
  }

  // ---------------------------------------------------------------------
  // Session

  function showSignIn(message) {
    $('workspace').hidden = true;
    $('session').hidden = true;
    $('sign-in').hidden = false;
    const alert = $('sign-in-error');
    if (message) {
      alert.textContent = message;
      alert.hidden = false;
    } else {
      hideAlert(alert);
    }
    $('sign-in-email').value = state.email;
    (state.email ? $('sign-in-password') : $('sign-in-email')).focus();
  }

  function endSession(message) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    closeOpenMenu(false);
    for (const dialog of document.querySelectorAll('dialog[open]')) {
      dialog.close();
    }
    showSignIn(message);
  }

  async function signIn(event) {
    event.preventDefault();
    const email = $('sign-in-email').value.trim();
    const password = $('sign-in-password').value;
    const alert = $('sign-in-error');
    hideAlert(alert);
    if (!email || !password) {
      showError(alert, new ApiError(422, { detail: 'Enter your email address and password.' }));
      (email ? $('sign-in-password') : $('sign-in-email')).focus();
      return;
    }
    const button = $('sign-in-submit');
    button.disabled = true;
    try {
      const session = await api('POST', '/login', { body: { email, password }, auth: false });
      state.token = session.token;
      state.email = email;
      sessionStorage.setItem(TOKEN_KEY, session.token);
      sessionStorage.setItem(EMAIL_KEY, email);
      $('sign-in-password').value = '';
      await startWorkspace();
    } catch (err) {
      showError(alert, err);
      $('sign-in-password').select();
      $('sign-in-password').focus();
    } finally {
      button.disabled = false;
    }
  }

  async function signOut() {
    try {
      await api('POST', '/logout');
    } catch (err) {
      // The session ends on this page whatever the server responded.
    }
    endSession('');
  }

  async function startWorkspace() {
    $('sign-in').hidden = true;
    $('workspace').hidden = false;
    $('session').hidden = false;
    $('session-user').textContent = state.email;
    hideAlert($('page-error'));
    selectTab('users', false);
    state.activity.loaded = false;
    try {
      const [columns] = await Promise.all([api('GET', '/api/users/columns'), loadDirectory()]);
      state.columns = Object.assign(defaultColumns(), columns.columns);
      applyRole();
      renderColumnsMenu();
      await loadUsers();
      $('main').focus();
    } catch (err) {
      if (err.status !== 401) {
        showPageError(err);
      }
    }
  }

  // applyRole finds the signed-in user in the directory and hides what
  // only admins may use. The server checks the role on every request.
  function applyRole() {
    const key = state.email.trim().toLowerCase();
    state.me = null;
    for (const user of state.directory.values()) {
      if (user.status === 'active' && user.email.trim().toLowerCase() === key) {
        state.me = user;
      }
    }
    const admin = !state.me || state.me.role === 'admin';
    $('tab-activity').hidden = !admin;
    $('invite-open').closest('.invite-area').hidden = !admin;
    if (state.me) {
      $('session-user').textContent = state.me.name + ' · ' + state.me.email;
    }
  }

  function isAdmin() {
    return !state.me || state.me.role === 'admin';
  }

  // ---------------------------------------------------------------------
  // Tabs

  function selectTab(name, focus) {
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      const selected = tab.id === 'tab-' + name;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      $(tab.getAttribute('aria-controls')).hidden = !selected;
      if (selected && focus) {
        tab.focus();
      }
    }
    closeOpenMenu(false);
    if (name === 'activity' && !state.activity.loaded) {
      state.activity.loaded = true;
      startActivity();
    }
  }

  function onTabKey(event) {
    const tabs = Array.from(document.querySelectorAll('[role="tab"]')).filter((t) => !t.hidden);
    const index = tabs.indexOf(event.currentTarget);
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % tabs.length;
    if (event.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
    if (event.key === 'Home') next = 0;
    if (event.key === 'End') next = tabs.length - 1;
    if (next >= 0) {
      event.preventDefault();
      selectTab(tabs[next].id.slice('tab-'.length), true);
    }
  }

  // ---------------------------------------------------------------------
  // Menus: a button with aria-haspopup="menu" and a role="menu" element.

  let openMenu = null;

  function menuItems(menu) {
    return Array.from(menu.querySelectorAll('[role^="menuitem"]'));
  }

  function showMenu(button, menu, focusLast) {
    closeOpenMenu(false);
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    openMenu = { button, menu };
    placeMenu(button, menu);
    const items = menuItems(menu);
    const item = focusLast ? items[items.length - 1] : items[0];
    if (item) {
      item.focus({ preventScroll: true });
    }
  }

  // placeMenu positions a menu below its button, or above it when the
  // viewport has no room below, inside the viewport. Menus are fixed, so
  // the table's scroll container does not clip them.
  function placeMenu(button, menu) {
    const rect = button.getBoundingClientRect();
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    const margin = 8;
    let left = rect.right - width;
    left = Math.max(margin, Math.min(left, window.innerWidth - width - margin));
    let top = rect.bottom + 4;
    if (top + height > window.innerHeight - margin && rect.top - height - 4 > margin) {
      top = rect.top - height - 4;
    }
    menu.style.left = left + 'px';
    menu.style.top = top + 'px';
  }

  // followOpenMenu keeps an open menu at its button when the page scrolls
  // or resizes, and closes it once the button leaves the viewport.
  function followOpenMenu() {
    if (!openMenu) {
      return;
    }
    const rect = openMenu.button.getBoundingClientRect();
    if (rect.bottom < 0 || rect.top > window.innerHeight) {
      closeOpenMenu(false);
      return;
    }
    placeMenu(openMenu.button, openMenu.menu);
  }

  function closeOpenMenu(restoreFocus) {
    if (!openMenu) {
      return;
    }
    const { button, menu } = openMenu;
    openMenu = null;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (restoreFocus && button.isConnected) {
      button.focus();
    }
  }

  function wireMenuButton(button, menu) {
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      if (openMenu && openMenu.menu === menu) {
        closeOpenMenu(true);
      } else {
        showMenu(button, menu, false);
      }
    });
    button.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        showMenu(button, menu, event.key === 'ArrowUp');
      }
    });
    menu.addEventListener('click', (event) => event.stopPropagation());
    menu.addEventListener('keydown', (event) => {
      const items = menuItems(menu);
      const index = items.indexOf(document.activeElement);
      let next = -1;
      switch (event.key) {
        case 'ArrowDown':
          next = (index + 1) % items.length;
          break;
        case 'ArrowUp':
          next = (index - 1 + items.length) % items.length;
          break;
        case 'Home':
          next = 0;
          break;
        case 'End':
          next = items.length - 1;
          break;
        case 'Escape':
          event.preventDefault();
          event.stopPropagation();
          closeOpenMenu(true);
          return;
        case 'Tab':
          closeOpenMenu(false);
          return;
        default:
          return;
      }
      event.preventDefault();
      items[next].focus({ preventScroll: true });
    });
  }

  // ---------------------------------------------------------------------
  // Columns

  function defaultColumns() {
    const columns = {};
    for (const [key] of OPTIONAL_COLUMNS) {
      columns[key] = true;
    }
    return columns;
  }

  function renderColumnsMenu() {
    const menu = $('columns-menu');
    menu.replaceChildren(el('div', { class: 'menu-title', 'aria-hidden': 'true', text: 'Columns' }));
    for (const [key, label] of OPTIONAL_COLUMNS) {
      menu.append(el('button', {
        type: 'button',
        role: 'menuitemcheckbox',
        tabindex: '-1',
        'aria-checked': String(state.columns[key] !== false),
        'data-column': key,
        onclick: () => toggleColumn(key),
      }, el('span', { text: label }), el('span', { class: 'menu-switch', 'aria-hidden': 'true' })));
    }
  }

  async function toggleColumn(key) {
    const previous = Object.assign({}, state.columns);
    state.columns[key] = !state.columns[key];
    renderColumnState();
    // data-saving marks a choice that the server has not stored yet.
    const menu = $('columns-menu');
    menu.dataset.saving = 'true';
    try {
      const saved = await api('PUT', '/api/users/columns', { body: { columns: state.columns } });
      state.columns = Object.assign(defaultColumns(), saved.columns);
    } catch (err) {
      state.columns = previous;
      showPageError(err);
    } finally {
      delete menu.dataset.saving;
    }
    renderColumnState();
  }

  function renderColumnState() {
    for (const item of $('columns-menu').querySelectorAll('[data-column]')) {
      item.setAttribute('aria-checked', String(state.columns[item.dataset.column] !== false));
    }
    for (const cell of $('users-table').querySelectorAll('[data-col]')) {
      const key = cell.dataset.col;
      if (key in state.columns) {
        cell.hidden = state.columns[key] === false;
      }
    }
  }

  // ---------------------------------------------------------------------
  // Users

  // loadDirectory reads every user of the company, page by page.
  async function loadDirectory() {
    const directory = new Map();
    let cursor = null;
    do {
      const page = await api('GET', '/api/users' + query({ limit: DIRECTORY_PAGE_SIZE, cursor }));
      for (const user of page.users) {
        directory.set(user.id, user);
      }
      cursor = page.next_cursor;
    } while (cursor);
    state.directory = directory;
  }

  function userFilters() {
    return {
      search: $('user-search').value.trim(),
      status: $('filter-status').value,
      role: $('filter-role').value,
      verification_status: $('filter-verification').value,
    };
  }

  function resetUserPaging() {
    state.users.cursors = [null];
    state.users.page = 0;
  }

  async function loadUsers() {
    const users = state.users;
    const request = ++users.request;
    const params = Object.assign(userFilters(), {
      limit: users.pageSize,
      cursor: users.cursors[users.page],
    });
    $('users-table').setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', '/api/users' + query(params));
      if (request !== users.request) {
        return;
      }
      users.items = page.users;
      users.nextCursor = page.next_cursor;
      for (const user of page.users) {
        state.directory.set(user.id, user);
      }
      setSeats(page.seats);
      renderUsers();
      hideAlert($('page-error'));
    } catch (err) {
      if (request === users.request && err.status !== 401) {
        showPageError(err);
      }
    } finally {
      if (request === users.request) {
        $('users-table').removeAttribute('aria-busy');
      }
    }
  }

  function setSeats(seats) {
    state.seats = seats;
    $('seats-used').textContent = String(seats.used);
    $('seats-available').textContent = String(seats.available);
    $('seats-limit').textContent = String(seats.limit);
    const full = seats.available <= 0;
    $('invite-open').disabled = full;
    $('invite-blocked').hidden = !full;
  }

  async function refreshSeats() {
    setSeats(await api('GET', '/api/seats'));
  }

  function renderUsers() {
    const users = state.users;
    const body = $('users-body');
    body.replaceChildren();
    if (users.items.length === 0) {
      body.append(el('tr', {}, el('td', { class: 'empty', colspan: '7', text: 'No users match these filters.' })));
    }
    for (const user of users.items) {
      body.append(userRow(user));
    }
    renderColumnState();
    const first = users.page * users.pageSize + 1;
    const last = users.page * users.pageSize + users.items.length;
    $('users-status').textContent = users.items.length
      ? 'Page ' + (users.page + 1) + ': users ' + first + ' to ' + last + (users.nextCursor ? '' : ' (last page)')
      : 'Page ' + (users.page + 1) + ': no users';
    $('users-prev').disabled = users.page === 0;
    $('users-next').disabled = !users.nextCursor;
  }

  function userRow(user) {
    const archived = user.status === 'archived';
    const full = user.conversation_limit > 0 && user.open_conversations >= user.conversation_limit;
    return el('tr', { 'data-id': user.id, class: archived ? 'is-archived' : '' },
      el('td', { class: 'name-cell', 'data-col': 'name', 'data-label': 'Name/Email' },
        el('div', { class: 'user-name' }, user.name,
          archived ? el('span', { class: 'badge badge-archived', text: 'Archived' }) : null),
        el('div', { class: 'user-email', text: user.email })),
      el('td', { 'data-col': 'role', 'data-label': 'Role' },
        el('span', { class: user.role === 'admin' ? 'badge badge-admin' : 'badge', text: user.role === 'admin' ? 'Admin' : 'User' })),
      el('td', { 'data-col': 'verification_status', 'data-label': 'Verification Status' },
        user.verification_status === 'verified'
          ? el('span', { class: 'badge badge-verified', text: 'Verified' })
          : el('span', { class: 'badge badge-pending', text: 'Not verified' })),
      el('td', { 'data-col': 'can_access_phone_calls', 'data-label': 'Can access phone calls' }, yesNo(user.can_access_phone_calls)),
      el('td', { 'data-col': 'can_access_ai_assistant', 'data-label': 'Can access AI assistant' }, yesNo(user.can_access_ai_assistant)),
      el('td', { 'data-col': 'conversation_limit', 'data-label': 'Conversation Limit' },
        el('span', {
          class: full ? 'load load-full' : 'load',
          'aria-label': user.open_conversations + ' open of a limit of ' + user.conversation_limit,
          text: user.open_conversations + '/' + user.conversation_limit,
        })),
      el('td', { class: 'actions-cell', 'data-col': 'actions' }, archived || !isAdmin() ? null : rowMenu(user)));
  }

  function yesNo(value) {
    return value ? el('span', { class: 'flag-yes', text: 'Yes' }) : el('span', { class: 'flag-no', text: 'No' });
  }

  function rowMenu(user) {
    const menuId = 'row-menu-' + user.id;
    const button = el('button', {
      type: 'button',
      class: 'button row-menu-button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': menuId,
      'aria-label': 'Actions for ' + user.name,
      'data-menu-for': user.id,
      text: '\u22EE',
    });
    const menu = el('div', { class: 'menu', id: menuId, role: 'menu', 'aria-label': 'Actions for ' + user.name, hidden: true },
      el('button', { type: 'button', role: 'menuitem', tabindex: '-1', text: 'Edit', onclick: () => { closeOpenMenu(false); openEdit(user.id); } }),
      el('button', { type: 'button', role: 'menuitem', tabindex: '-1', class: 'menu-danger', text: 'Archive', onclick: () => { closeOpenMenu(false); openArchive(user.id); } }));
    wireMenuButton(button, menu);
    return el('div', { class: 'menu-anchor' }, button, menu);
  }

  function replaceUser(user) {
    state.directory.set(user.id, user);
    const index = state.users.items.findIndex((u) => u.id === user.id);
    if (index >= 0) {
      state.users.items[index] = user;
      const row = $('users-body').querySelector('tr[data-id="' + user.id + '"]');
      if (row) {
        row.replaceWith(userRow(user));
        renderColumnState();
      }
    }
  }

  // focusRowMenu returns focus to a row's menu button after a dialog, or
  // to the table when the row is gone.
  function focusRowMenu(id) {
    const button = $('users-body').querySelector('[data-menu-for="' + id + '"]');
    if (button) {
      button.focus();
    } else {
      $('users-table').setAttribute('tabindex', '-1');
      $('users-table').focus();
    }
  }

  // ---------------------------------------------------------------------
  // Dialogs

  function openDialog(dialog, focusTarget, onClosed) {
    const form = dialog.querySelector('form');
    clearFieldErrors(form);
    hideAlert(dialog.querySelector('.alert'));
    dialog.onclose = () => {
      dialog.onclose = null;
      onClosed();
    };
    dialog.showModal();
    focusTarget.focus();
  }

  function currentUser(id) {
    return state.directory.get(id) || state.users.items.find((u) => u.id === id);
  }

  // Update User

  let editing = null;

  function openEdit(id) {
    const user = currentUser(id);
    if (!user) {
      return;
    }
    editing = user;
    fillEdit(user);
    openDialog($('edit-dialog'), $('edit-role'), () => focusRowMenu(id));
  }

  function fillEdit(user) {
    $('edit-subject').textContent = user.name + ' · ' + user.email;
    $('edit-role').value = user.role;
    $('edit-limit').value = String(user.conversation_limit);
    $('edit-phone').checked = user.can_access_phone_calls;
    $('edit-ai').checked = user.can_access_ai_assistant;
  }

  async function saveEdit(event) {
    event.preventDefault();
    const user = editing;
    const form = $('edit-form');
    const alert = $('edit-error');
    const controls = {
      role: 'edit-role',
      conversation_limit: 'edit-limit',
      can_access_phone_calls: 'edit-phone',
      can_access_ai_assistant: 'edit-ai',
    };
    hideAlert(alert);
    clearFieldErrors(form);

    const limitText = $('edit-limit').value.trim();
    if (!/^\d+$/.test(limitText)) {
      const err = new ApiError(422, {
        detail: 'The conversation limit must be a whole number.',
        fields: [{ field: 'conversation_limit', message: 'enter a whole number from 0 to 100' }],
      });
      showError(alert, err);
      setFieldErrors(form, controls, err);
      return;
    }

    const values = {
      role: $('edit-role').value,
      conversation_limit: Number(limitText),
      can_access_phone_calls: $('edit-phone').checked,
      can_access_ai_assistant: $('edit-ai').checked,
    };
    const changes = {};
    for (const [key, value] of Object.entries(values)) {
      if (user[key] !== value) {
        changes[key] = value;
      }
    }
    if (Object.keys(changes).length === 0) {
      $('edit-dialog').close();
      return;
    }

    const save = $('edit-save');
    save.disabled = true;
    try {
      const updated = await api('PATCH', '/api/users/' + encodeURIComponent(user.id), { body: changes, ifMatch: etagOf(user) });
      replaceUser(updated);
      if (state.me && state.me.id === updated.id) {
        // A demoted admin loses the row menus at once.
        applyRole();
        renderUsers();
      }
      $('edit-dialog').close();
      showNotice('Saved the changes to ' + updated.name + '.');
    } catch (err) {
      if (err.status === 401) {
        return;
      }
      showError(alert, err);
      setFieldErrors(form, controls, err);
      if (err.code === 'precondition_failed' || err.code === 'archived') {
        await reloadUserInto(user.id, fillEdit);
      }
    } finally {
      save.disabled = false;
    }
  }

  // reloadUserInto reads a user again after a conflict and shows the
  // current values in the open dialog.
  async function reloadUserInto(id, fill) {
    try {
      const fresh = await api('GET', '/api/users/' + encodeURIComponent(id));
      replaceUser(fresh);
      if (editing && editing.id === id) editing = fresh;
      if (archiving && archiving.id === id) archiving = fresh;
      fill(fresh);
    } catch (err) {
      // The dialog shows the first error already.
    }
  }

  // Archive

  let archiving = null;

  // confirmationMatches applies the server's rule: the typed text,
  // trimmed and NFC-normalised, equals the email address without regard
  // to case or the name exactly. The server decides all the same.
  function confirmationMatches(typed, user) {
    const text = typed.trim().normalize('NFC');
    if (!text) {
      return false;
    }
    return text.toLowerCase() === user.email.trim().normalize('NFC').toLowerCase() || text === user.name.normalize('NFC');
  }

  function openArchive(id) {
    const user = currentUser(id);
    if (!user) {
      return;
    }
    archiving = user;
    $('archive-name').textContent = user.name;
    $('archive-email').textContent = user.email;
    $('archive-confirmation').value = '';
    $('archive-submit').disabled = true;
    openDialog($('archive-dialog'), $('archive-confirmation'), () => focusRowMenu(id));
  }

  function onArchiveInput() {
    $('archive-submit').disabled = !confirmationMatches($('archive-confirmation').value, archiving);
  }

  // onArchiveEdit clears the server's last verdict once the admin edits
  // the confirmation.
  function onArchiveEdit() {
    hideAlert($('archive-error'));
    clearFieldErrors($('archive-form'));
    onArchiveInput();
  }

  async function submitArchive(event) {
    event.preventDefault();
    const user = archiving;
    const form = $('archive-form');
    const alert = $('archive-error');
    hideAlert(alert);
    clearFieldErrors(form);
    const submit = $('archive-submit');
    submit.disabled = true;
    try {
      const archived = await api('POST', '/api/users/' + encodeURIComponent(user.id) + '/archive', {
        body: { confirmation: $('archive-confirmation').value },
        ifMatch: etagOf(user),
      });
      replaceUser(archived);
      refreshActivityUsers();
      await loadUsers();
      $('archive-dialog').close();
      showNotice(archived.name + ' was archived, and their seat is free.');
    } catch (err) {
      if (err.status === 401) {
        return;
      }
      showError(alert, err);
      setFieldErrors(form, { confirmation: 'archive-confirmation' }, err);
      if (err.code === 'precondition_failed') {
        await reloadUserInto(user.id, () => {});
      }
      onArchiveInput();
    }
  }

  // Invite

  function openInvite() {
    if (!state.seats || state.seats.available <= 0) {
      return;
    }
    $('invite-form').reset();
    $('invite-seats').textContent = state.seats.available + ' of ' + state.seats.limit + ' seats are free. The invitee takes one at once and stays Not verified until they confirm their email address.';
    openDialog($('invite-dialog'), $('invite-email'), () => {
      const button = $('invite-open');
      (button.disabled ? $('user-search') : button).focus();
    });
  }

  async function submitInvite(event) {
    event.preventDefault();
    const form = $('invite-form');
    const alert = $('invite-error');
    const controls = {
      email: 'invite-email',
      name: 'invite-name',
      role: 'invite-role',
      conversation_limit: 'invite-limit',
      can_access_phone_calls: 'invite-phone',
      can_access_ai_assistant: 'invite-ai',
    };
    hideAlert(alert);
    clearFieldErrors(form);

    const limitText = $('invite-limit').value.trim();
    if (!/^\d+$/.test(limitText)) {
      const err = new ApiError(422, {
        detail: 'The conversation limit must be a whole number.',
        fields: [{ field: 'conversation_limit', message: 'enter a whole number from 0 to 100' }],
      });
      showError(alert, err);
      setFieldErrors(form, controls, err);
      return;
    }

    const body = {
      email: $('invite-email').value,
      name: $('invite-name').value,
      role: $('invite-role').value,
      conversation_limit: Number(limitText),
      can_access_phone_calls: $('invite-phone').checked,
      can_access_ai_assistant: $('invite-ai').checked,
    };

    const submit = $('invite-submit');
    submit.disabled = true;
    try {
      const user = await api('POST', '/api/users', { body });
      state.directory.set(user.id, user);
      // The list and the seats are read before the dialog closes, so that
      // focus returns to a button in its final state.
      await loadUsers();
      refreshActivityUsers();
      $('invite-dialog').close();
      showNotice('Invited ' + user.name + ' (' + user.email + '). They stay Not verified until they confirm their email address.');
    } catch (err) {
      if (err.status === 401) {
        return;
      }
      showError(alert, err);
      setFieldErrors(form, controls, err);
      if (err.code === 'no_seat_available') {
        refreshSeats().catch(() => {});
      }
    } finally {
      submit.disabled = false;
    }
  }

  // ---------------------------------------------------------------------
  // Activity

  async function startActivity() {
    $('activity-zone').textContent = 'Dates are read in your time zone, ' + viewerZone + '.';
    fillActivityUsers();
    try {
      const types = await api('GET', '/api/activity/types');
      state.activity.types = types.types;
      const select = $('activity-type');
      select.replaceChildren(el('option', { value: '', text: 'All types' }));
      for (const type of types.types) {
        select.append(el('option', { value: type, text: activityLabel(type) }));
      }
    } catch (err) {
      if (err.status !== 401) {
        showPageError(err);
      }
    }
    await loadActivity();
  }

  function fillActivityUsers() {
    const select = $('activity-user');
    const selected = select.value;
    select.replaceChildren(el('option', { value: '', text: 'All users' }));
    const people = Array.from(state.directory.values()).sort((a, b) => a.name.localeCompare(b.name));
    for (const user of people) {
      select.append(userOption(user));
    }
    select.value = selected;
  }

  function userOption(user) {
    const suffix = user.status === 'archived' ? ' (archived)' : '';
    return el('option', { value: user.id, text: user.name + ' · ' + user.email + suffix });
  }

  function refreshActivityUsers() {
    if (state.activity.loaded) {
      fillActivityUsers();
    }
  }

  function activityLabel(type) {
    return ACTIVITY_LABELS[type] || type;
  }

  function readActivityFilter() {
    return {
      user_id: $('activity-user').value,
      type: $('activity-type').value,
      from: $('activity-from').value,
      to: $('activity-to').value,
    };
  }

  function activeFilterCount() {
    return Object.values(state.activity.filter).filter(Boolean).length;
  }

  async function applyActivityFilter(event) {
    event.preventDefault();
    state.activity.filter = readActivityFilter();
    state.activity.cursors = [null];
    state.activity.page = 0;
    await loadActivity();
  }

  async function clearActivityFilter() {
    $('activity-filter').reset();
    state.activity.filter = readActivityFilter();
    state.activity.cursors = [null];
    state.activity.page = 0;
    await loadActivity();
  }

  async function loadActivity() {
    const activity = state.activity;
    const request = ++activity.request;
    const filter = activity.filter;
    const params = {
      user_id: filter.user_id,
      type: filter.type,
      from: filter.from,
      to: filter.to,
      tz: filter.from || filter.to ? viewerZone : '',
      limit: ACTIVITY_PAGE_SIZE,
      cursor: activity.cursors[activity.page],
    };
    const count = activeFilterCount();
    $('filter-toggle-label').textContent = count ? 'Filter (' + count + ')' : 'Filter';
    $('activity-table').setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', '/api/activity' + query(params));
      if (request !== activity.request) {
        return;
      }
      activity.entries = page.entries;
      activity.nextCursor = page.next_cursor;
      renderActivity();
      hideAlert($('page-error'));
    } catch (err) {
      if (request === activity.request && err.status !== 401) {
        showPageError(err);
      }
    } finally {
      if (request === activity.request) {
        $('activity-table').removeAttribute('aria-busy');
      }
    }
  }

  function renderActivity() {
    const activity = state.activity;
    const body = $('activity-body');
    body.replaceChildren();
    if (activity.entries.length === 0) {
      body.append(el('tr', {}, el('td', { class: 'empty', colspan: '5', text: 'No activity matches these filters.' })));
    }
    for (const entry of activity.entries) {
      body.append(activityRow(entry));
    }
    const first = activity.page * ACTIVITY_PAGE_SIZE + 1;
    const last = activity.page * ACTIVITY_PAGE_SIZE + activity.entries.length;
    $('activity-status').textContent = activity.entries.length
      ? 'Page ' + (activity.page + 1) + ': entries ' + first + ' to ' + last + (activity.nextCursor ? '' : ' (last page)')
      : 'Page ' + (activity.page + 1) + ': no entries';
    $('activity-prev').disabled = activity.page === 0;
    $('activity-next').disabled = !activity.nextCursor;
  }

  function activityRow(entry) {
    return el('tr', { 'data-id': entry.id, 'data-type': entry.type, 'data-user-id': entry.user_id || '', 'data-occurred-at': entry.occurred_at },
      el('td', { class: 'user-cell', 'data-label': 'User' }, actorCell(entry)),
      el('td', { class: 'activity-type', 'data-label': 'Activity Type', text: activityLabel(entry.type) }),
      el('td', { class: 'details', 'data-label': 'Details', text: describeEntry(entry) || '—' }),
      el('td', { class: 'ip', 'data-label': 'IP Address', text: entry.ip_address || '—' }),
      el('td', { class: 'when', 'data-label': 'Date/Time' },
        el('time', { datetime: entry.occurred_at, title: entry.occurred_at, text: formatTime(entry.occurred_at) })));
  }

  function actorCell(entry) {
    if (!entry.user_id) {
      return el('div', {}, el('div', { class: 'user-name', text: 'Host' }), el('div', { class: 'user-email', text: 'the host product' }));
    }
    const user = state.directory.get(entry.user_id);
    if (user) {
      return el('div', {}, el('div', { class: 'user-name', text: user.name }), el('div', { class: 'user-email', text: user.email }));
    }
    return el('div', {}, el('div', { class: 'user-name', text: 'Unknown user' }), el('div', { class: 'user-email', text: entry.user_id }));
  }

  function formatTime(value) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : dateTimeFormat.format(date);
  }

  // describeEntry summarises an entry's target and details in a line.
  function describeEntry(entry) {
    const details = entry.details || {};
    const target = entry.target_user_id && entry.target_user_id !== entry.user_id ? state.directory.get(entry.target_user_id) : null;
    const subject = target ? target.name : details.email || '';
    const parts = [];
    switch (entry.type) {
      case 'login_rejected':
        parts.push((details.email || '') + (details.reason ? ': ' + details.reason.replace(/_/g, ' ') : ''));
        break;
      case 'user_invited':
        parts.push((details.name || subject) + (details.role ? ' as ' + details.role : ''));
        break;
      case 'company_created':
        parts.push(details.name || '');
        break;
      case 'login':
      case 'logout':
        break;
      default:
        if (subject && entry.target_user_id !== entry.user_id) {
          parts.push(subject);
        }
    }
    for (const change of details.changes || []) {
      parts.push(fieldLabel(change.field) + ' ' + formatValue(change.old) + ' → ' + formatValue(change.new));
    }
    return parts.filter(Boolean).join('; ');
  }

  function formatValue(value) {
    if (value === true) return 'yes';
    if (value === false) return 'no';
    return String(value);
  }

  function toggleFilterPanel(open) {
    const panel = $('activity-filter');
    const show = open === undefined ? panel.hidden : open;
    panel.hidden = !show;
    $('filter-toggle').setAttribute('aria-expanded', String(show));
    if (show) {
      $('activity-user').focus();
    }
  }

  // ---------------------------------------------------------------------
  // Wiring

  function wire() {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);

    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener('click', () => selectTab(tab.id.slice('tab-'.length), false));
      tab.addEventListener('keydown', onTabKey);
    }

    wireMenuButton($('columns-button'), $('columns-menu'));
    document.addEventListener('click', () => closeOpenMenu(false));
    window.addEventListener('resize', followOpenMenu);
    window.addEventListener('scroll', followOpenMenu, true);

    let searchTimer = 0;
    $('user-search').addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        resetUserPaging();
        loadUsers();
      }, SEARCH_DELAY_MS);
    });
    $('user-filters').addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(searchTimer);
      resetUserPaging();
      loadUsers();
    });
    for (const id of ['filter-status', 'filter-role', 'filter-verification']) {
      $(id).addEventListener('change', () => {
        resetUserPaging();
        loadUsers();
      });
    }
    $('users-page-size').addEventListener('change', () => {
      state.users.pageSize = Number($('users-page-size').value);
      resetUserPaging();
      loadUsers();
    });
    $('users-next').addEventListener('click', () => {
      const users = state.users;
      if (!users.nextCursor) return;
      users.cursors[users.page + 1] = users.nextCursor;
      users.page += 1;
      loadUsers();
    });
    $('users-prev').addEventListener('click', () => {
      if (state.users.page === 0) return;
      state.users.page -= 1;
      loadUsers();
    });

    $('invite-open').addEventListener('click', openInvite);
    $('invite-form').addEventListener('submit', submitInvite);
    $('edit-form').addEventListener('submit', saveEdit);
    // An edit of a field clears the server's last verdict.
    for (const form of [$('edit-form'), $('invite-form')]) {
      const clear = () => {
        hideAlert(form.querySelector('.alert'));
        clearFieldErrors(form);
      };
      form.addEventListener('input', clear);
      form.addEventListener('change', clear);
    }
    $('archive-form').addEventListener('submit', submitArchive);
    $('archive-confirmation').addEventListener('input', onArchiveEdit);
    for (const button of document.querySelectorAll('dialog [data-close]')) {
      button.addEventListener('click', () => button.closest('dialog').close());
    }

    $('filter-toggle').addEventListener('click', () => toggleFilterPanel());
    $('activity-filter').addEventListener('submit', applyActivityFilter);
    $('activity-clear').addEventListener('click', clearActivityFilter);
    $('activity-filter').addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        toggleFilterPanel(false);
        $('filter-toggle').focus();
      }
    });
    $('activity-next').addEventListener('click', () => {
      const activity = state.activity;
      if (!activity.nextCursor) return;
      activity.cursors[activity.page + 1] = activity.nextCursor;
      activity.page += 1;
      loadActivity();
    });
    $('activity-prev').addEventListener('click', () => {
      if (state.activity.page === 0) return;
      state.activity.page -= 1;
      loadActivity();
    });
  }

  wire();
  if (state.token) {
    startWorkspace();
  } else {
    showSignIn('');
  }
})();
