// Herald dashboard: lists webhooks and connectors and shows their request
// log, through the /v1 API with a bearer key kept in sessionStorage.
//
// Everything the server returns (URLs, headers, bodies, event data) is
// untrusted and is only ever rendered as text: elements are built with
// createElement and filled with textContent.
'use strict';

(() => {
  const KEY_STORAGE = 'herald.apiKey';
  const PAGE_SIZE = 50;
  // A log ID no entry has, sorting before all: as Last-Event-ID it asks the
  // stream for every entry (of a webhook that had none when listed).
  const BEFORE_ALL_LOGS = `log_${'0'.repeat(32)}`;
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 30000;

  const $ = (id) => document.getElementById(id);

  const state = {
    memoryKey: '', // used when sessionStorage is unavailable
    cursors: { webhooks: null, connectors: null },
    selected: null, // {type: 'webhook'|'connector', id, item}
    logsCursor: null,
    logsLoad: 0, // bumped on every fresh load; stale responses are dropped
    logIds: new Set(),
    applied: { status: '', event: '' }, // the filters of the entries on screen
    headId: null, // where the live stream resumes (see loadLogs)
    live: null, // {controller, target, lastId, count}
    alertIsNetwork: false, // the alert shows a lost connection (see showError)
    openSeq: 0, // bumped by every open by ID (see openById)
  };

  // ---- DOM helpers -------------------------------------------------------

  // el builds an element. Strings among children become text nodes.
  function el(tag, opts, ...children) {
    const node = document.createElement(tag);
    if (opts) {
      if (opts.className) node.className = opts.className;
      if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
      if (opts.attrs) {
        for (const [k, v] of Object.entries(opts.attrs)) node.setAttribute(k, String(v));
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  function formatTime(s) {
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) return String(s ?? '');
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  }

  const str = (v) => (typeof v === 'string' ? v : '');
  const list = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

  // ---- API key -----------------------------------------------------------

  function getKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || '';
    } catch {
      return state.memoryKey;
    }
  }

  function setKey(key) {
    state.memoryKey = key;
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // Storage disabled: the key lives in memory for this page only.
    }
  }

  // ---- API calls and problems -------------------------------------------

  class ApiError extends Error {
    constructor(status, title, detail, errors) {
      super(detail || title);
      this.status = status;
      this.title = title;
      this.detail = detail;
      this.errors = errors;
    }
  }

  // problemFrom reads an RFC 9457 problem document from a failed response.
  async function problemFrom(res) {
    let p = null;
    try {
      p = JSON.parse(await res.text());
    } catch {
      p = null;
    }
    if (!p || typeof p !== 'object') p = {};
    const errors = Array.isArray(p.errors)
      ? p.errors.filter((e) => e && typeof e === 'object')
      : [];
    return new ApiError(res.status, str(p.title) || res.statusText || 'Request failed', str(p.detail), errors);
  }

  function authHeaders(accept) {
    const key = getKey();
    if (!key) throw new ApiError(0, 'No API key', 'Enter an API key first.', []);
    return { Authorization: `Bearer ${key}`, Accept: accept };
  }

  async function api(method, path, body) {
    const headers = authHeaders('application/json');
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'Network error', `Could not reach Herald: ${e.message}`, []);
    }
    if (!res.ok) throw await problemFrom(res);
    if (res.status === 204) return null;
    return res.json();
  }

  const HINTS = {
    401: 'The API key was not accepted. Check it and use it again.',
    403: 'The key lacks a scope: reading logs needs view:log; lists, tests and retries need manage:webhook.',
  };

  function showError(err) {
    const title = $('alert-title');
    const detail = $('alert-detail');
    const hint = $('alert-hint');
    const errors = $('alert-errors');
    errors.replaceChildren();
    hint.textContent = '';
    // A lost connection is over once the live view connects again.
    state.alertIsNetwork = err instanceof ApiError && err.status === 0 && err.title === 'Network error';
    if (err instanceof ApiError) {
      if (err.status === 401 && getKey()) $('key-state').textContent = 'The server refused this key.';
      title.textContent = err.status ? `${err.status} ${err.title}` : err.title;
      detail.textContent = err.detail;
      hint.textContent = HINTS[err.status] || '';
      for (const fe of err.errors) {
        const field = str(fe.field);
        const msg = str(fe.message);
        errors.append(el('li', null, field ? el('code', { text: field }) : null, field ? ': ' : '', msg));
      }
    } else {
      title.textContent = 'Something went wrong';
      detail.textContent = err && err.message ? err.message : String(err);
    }
    $('alert').hidden = false;
  }

  function clearError() {
    state.alertIsNetwork = false;
    $('alert').hidden = true;
  }

  function notify(text) {
    $('notice').textContent = text;
  }

  // ---- Webhooks and connectors -------------------------------------------

  function statusLine(item) {
    if (item.enabled) return el('span', { className: 'pill ok', text: 'Enabled' });
    const reason = str(item.disabled_reason);
    return el('span', { className: 'pill off', text: reason ? `Disabled: ${reason}` : 'Disabled' });
  }

  function renderTarget(type, item) {
    const events = list(item.events).join(', ') || '(none)';
    let top;
    if (type === 'webhook') {
      // A long URL is cut short on screen; the tooltip has all of it.
      top = el('span', { className: 'target-top' },
        el('span', { className: 'badge', text: str(item.method) || 'POST' }),
        el('span', { className: 'target-name mono', text: str(item.url), attrs: { title: str(item.url) } }));
    } else {
      top = el('span', { className: 'target-top' },
        el('span', { className: 'badge', text: str(item.kind) }),
        el('span', { className: 'target-name', text: str(item.name) || str(item.id) }));
    }
    const description = str(item.description);
    const button = el('button', { className: 'target', attrs: { type: 'button' } },
      top,
      description ? el('span', { className: 'target-description', text: description }) : null,
      el('span', { className: 'target-events' }, 'Events: ', el('span', { className: 'mono', text: events })),
      statusLine(item));
    button.dataset.id = str(item.id);
    if (state.selected && state.selected.id === item.id) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => select(type, item, button));
    return el('li', null, button);
  }

  async function loadTargets(kind, append) {
    const ul = $(kind);
    const more = $(`${kind}-more`);
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (append && state.cursors[kind]) params.set('cursor', state.cursors[kind]);
    ul.setAttribute('aria-busy', 'true');
    more.disabled = true;
    try {
      const body = await api('GET', `/v1/${kind}?${params}`);
      if (!append) ul.replaceChildren();
      const type = kind === 'webhooks' ? 'webhook' : 'connector';
      for (const item of Array.isArray(body.data) ? body.data : []) {
        if (item && typeof item === 'object') ul.append(renderTarget(type, item));
      }
      if (!append) refreshSelected(type);
      state.cursors[kind] = str(body.next_cursor) || null;
      $(`${kind}-empty`).textContent = `No ${kind}.`;
    } catch (e) {
      if (!append) {
        ul.replaceChildren();
        state.cursors[kind] = null;
      }
      if (e instanceof ApiError && e.status === 403) {
        // A view:log key may read logs but not list targets: say so
        // where the list would be, not as an error.
        $(`${kind}-empty`).textContent = `This key cannot list ${kind} (that needs manage:webhook); open one by its ID above.`;
      } else {
        showError(e);
      }
    } finally {
      ul.removeAttribute('aria-busy');
      more.disabled = false;
      more.hidden = !state.cursors[kind];
      $(`${kind}-empty`).hidden = ul.children.length > 0;
    }
  }

  function loadAllTargets() {
    loadTargets('webhooks', false);
    loadTargets('connectors', false);
  }

  // openById shows the log of the target an ID names, for keys that
  // cannot list targets. Without manage:webhook the target's own details
  // stay unknown, and the panel says so; its log needs only view:log.
  async function openById(raw) {
    const id = raw.trim();
    const type = id.startsWith('wh_') ? 'webhook' : id.startsWith('con_') ? 'connector' : '';
    if (!type) {
      showError(new ApiError(0, 'Not a target ID', 'Webhook IDs start with wh_ and connector IDs with con_.', []));
      return;
    }
    // A choice made while the target loads wins over this one.
    const seq = ++state.openSeq;
    const before = state.selected;
    let item = { id, unknown: true };
    try {
      const got = await api('GET', `/v1/${type}s/${encodeURIComponent(id)}`);
      if (got && typeof got === 'object') item = got;
    } catch (e) {
      if (seq !== state.openSeq || state.selected !== before) return;
      if (!(e instanceof ApiError && e.status === 403)) {
        showError(e);
        return;
      }
    }
    if (seq !== state.openSeq || state.selected !== before) return;
    clearError();
    const button = [...document.querySelectorAll('.target')].find((b) => b.dataset.id === id);
    select(type, item, button || null);
  }

  function select(type, item, button) {
    stopLive('');
    state.selected = { type, id: str(item.id), item };
    for (const b of document.querySelectorAll('.target[aria-current]')) b.removeAttribute('aria-current');
    if (button) button.setAttribute('aria-current', 'true');

    $('detail-placeholder').hidden = true;
    $('detail-body').hidden = false;
    $('test-result').hidden = true;
    $('test-result-entry').replaceChildren();
    showDetail(type, item);
    $('live-toggle').hidden = type !== 'webhook';
    // Another target's entries go at once; a reload of the same one keeps
    // them until it has loaded (loadLogs).
    $('logs').replaceChildren();
    state.logIds.clear();
    state.logsCursor = null;
    $('logs-more').hidden = true;
    loadLogs(false);
  }

  // refreshSelected reads the selected target again, if it is of type, so
  // that the panel shows what the list now says (enabled, say), whichever
  // page of the list holds it. A failure leaves the panel as it was.
  async function refreshSelected(type) {
    const sel = state.selected;
    if (!sel || sel.type !== type) return;
    try {
      const item = await api('GET', `/v1/${type}s/${encodeURIComponent(sel.id)}`);
      if (sel === state.selected && item && typeof item === 'object') {
        sel.item = item;
        showDetail(type, item);
      }
    } catch {
      // A deleted target's log can still be read; the next action says so.
    }
  }

  // showDetail fills the detail panel's header with item.
  function showDetail(type, item) {
    $('detail-heading').classList.toggle('mono', type === 'webhook');
    if (item.unknown) {
      $('detail-kind').textContent = `${type === 'webhook' ? 'Webhook' : 'Connector'} ${str(item.id)}`;
      $('detail-heading').textContent = str(item.id);
      $('detail-meta').replaceChildren('Its settings need a key with manage:webhook; the log needs view:log.');
      return;
    }
    const events = list(item.events).join(', ') || '(none)';
    const description = str(item.description);
    const tail = description ? [' · ', description] : [];
    if (type === 'webhook') {
      $('detail-kind').textContent = `Webhook ${str(item.id)}`;
      $('detail-heading').textContent = str(item.url);
      $('detail-meta').replaceChildren(`${str(item.method) || 'POST'} · events: ${events} · `, statusLine(item), ...tail);
    } else {
      const kind = str(item.kind);
      $('detail-kind').textContent = `${kind.charAt(0).toUpperCase()}${kind.slice(1)} connector ${str(item.id)}`;
      $('detail-heading').textContent = str(item.name) || str(item.id);
      $('detail-meta').replaceChildren(`Events: ${events} · `, statusLine(item), ...tail);
    }
  }

  // ---- Request log -------------------------------------------------------

  function succeeded(entry) {
    const r = entry.response;
    return entry.error == null && r && typeof r === 'object' && r.status >= 200 && r.status < 300;
  }

  function filters() {
    return { status: $('filter-status').value, event: $('filter-event').value.trim() };
  }

  function matchesFilters(entry) {
    const f = state.applied;
    if (f.status === 'success' && !succeeded(entry)) return false;
    if (f.status === 'failure' && succeeded(entry)) return false;
    return !f.event || entry.event === f.event;
  }

  function logsPath(sel) {
    return `/v1/${sel.type}s/${encodeURIComponent(sel.id)}/logs`;
  }

  async function loadLogs(append) {
    const sel = state.selected;
    if (!sel) return;
    const load = append ? state.logsLoad : ++state.logsLoad;
    // More pages continue the list on screen, with its filters, whatever
    // the form holds now. A new list replaces the one on screen only once
    // it has loaded: a failed reload leaves the entries shown.
    const f = append ? state.applied : filters();
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (f.status) params.set('status', f.status);
    if (f.event) params.set('event', f.event);
    if (append && state.logsCursor) params.set('cursor', state.logsCursor);

    const ol = $('logs');
    const empty = $('logs-empty');
    const more = $('logs-more');
    if (!append && !ol.children.length) {
      empty.textContent = 'Loading…';
      empty.hidden = false;
    }
    ol.setAttribute('aria-busy', 'true');
    more.disabled = true;
    let failed = false;
    try {
      const body = await api('GET', `${logsPath(sel)}?${params}`);
      if (load !== state.logsLoad || sel !== state.selected) return;
      const data = (Array.isArray(body.data) ? body.data : []).filter((e) => e && typeof e.id === 'string');
      if (!append) {
        ol.replaceChildren();
        state.logIds.clear();
        state.applied = f;
        // The live view resumes after the newest entry of an unfiltered
        // list (from the first entry ever when it is empty). A filtered
        // list's newest match may be weeks old: resuming there would
        // stream everything since, only to drop it, so the stream starts
        // from its own now instead.
        const unfiltered = !f.status && !f.event;
        state.headId = unfiltered ? (data.length ? data[0].id : BEFORE_ALL_LOGS) : null;
      }
      for (const entry of data) {
        if (state.logIds.has(entry.id)) continue;
        state.logIds.add(entry.id);
        ol.append(renderEntry(entry, false));
      }
      state.logsCursor = str(body.next_cursor) || null;
    } catch (e) {
      if (load === state.logsLoad) showError(e);
      failed = true;
    } finally {
      if (load === state.logsLoad && sel === state.selected) {
        ol.removeAttribute('aria-busy');
        more.disabled = false;
        more.hidden = !state.logsCursor;
        empty.textContent = failed ? 'The log could not be loaded.' : 'No log entries match.';
        empty.hidden = ol.children.length > 0;
      }
    }
  }

  function prependEntry(entry, fresh) {
    if (state.logIds.has(entry.id)) return;
    state.logIds.add(entry.id);
    const li = renderEntry(entry, false);
    if (fresh) li.classList.add('fresh');
    $('logs').prepend(li);
    $('logs-empty').hidden = true;
  }

  function statusText(entry) {
    const r = entry.response && typeof entry.response === 'object' ? entry.response : null;
    const err = str(entry.error);
    if (r && err && err !== `HTTP ${r.status}`) return `${r.status} · ${err}`;
    if (r) return String(r.status);
    return err ? `Error: ${err}` : 'No response';
  }

  function renderEntry(entry, expanded) {
    const ok = succeeded(entry);
    const detailId = nextId('entry');
    const toggle = el('button', {
      className: 'entry-toggle',
      attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': detailId },
    },
    el('span', { className: 'caret', attrs: { 'aria-hidden': 'true' } }),
    el('time', { className: 'entry-time', text: formatTime(entry.created_at), attrs: { datetime: str(entry.created_at) } }),
    el('span', { className: 'entry-event mono', text: str(entry.event) }),
    el('span', { className: 'entry-attempt', text: `attempt ${Number(entry.attempt) || 0}` }),
    el('span', { className: `entry-status ${ok ? 'ok' : 'fail'}`, text: statusText(entry) }),
    el('span', { className: 'entry-duration', text: `${Number(entry.duration_ms) || 0} ms` }));

    const detail = el('div', { className: 'entry-detail', attrs: { id: detailId } });
    detail.hidden = true;
    const setOpen = (open) => {
      if (open && !detail.firstChild) detail.append(...renderExchange(entry));
      detail.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
    };
    toggle.addEventListener('click', () => setOpen(detail.hidden));

    const row = el('div', { className: 'entry-row' }, toggle);
    // A test send's delivery cannot be retried (the API answers 409).
    if (!ok && str(entry.delivery_id) && entry.event !== 'webhook.test') {
      const retryBtn = el('button', {
        className: 'secondary small',
        text: 'Retry',
        attrs: { type: 'button', 'aria-label': `Retry delivery ${entry.delivery_id} (${str(entry.event)})` },
      });
      retryBtn.addEventListener('click', () => retry(entry, retryBtn));
      row.append(retryBtn);
    }
    const li = el('li', { className: `entry ${ok ? 'ok' : 'fail'}` }, row, detail);
    if (expanded) setOpen(true);
    return li;
  }

  function prettyBody(body) {
    const text = str(body);
    if (!text) return { text: '(empty)', empty: true };
    try {
      const v = JSON.parse(text);
      if (v && typeof v === 'object') return { text: indentJSON(text) };
    } catch {
      // Not JSON: shown as it is.
    }
    return { text };
  }

  // indentJSON lays out valid JSON text two spaces per level, keeping every
  // token as it was sent: parsing and printing it again would round large
  // numbers (64-bit IDs) and rewrite escapes and number forms.
  function indentJSON(text) {
    let out = '';
    let depth = 0;
    const newline = () => `\n${'  '.repeat(depth)}`;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j;
      } else if (c === '{' || c === '[') {
        let j = i + 1;
        while (' \t\n\r'.includes(text[j])) j++;
        if (text[j] === (c === '{' ? '}' : ']')) {
          out += c + text[j]; // empty: {} or []
          i = j;
        } else {
          depth++;
          out += c + newline();
        }
      } else if (c === '}' || c === ']') {
        depth--;
        out += newline() + c;
      } else if (c === ',') {
        out += `,${newline()}`;
      } else if (c === ':') {
        out += ': ';
      } else if (!' \t\n\r'.includes(c)) {
        out += c;
      }
    }
    return out;
  }

  function headersTable(headers, caption) {
    const h = headers && typeof headers === 'object' ? headers : {};
    const names = Object.keys(h).sort((a, b) => a.localeCompare(b));
    if (!names.length) return el('p', { className: 'muted', text: 'No headers.' });
    const tbody = el('tbody');
    for (const name of names) {
      tbody.append(el('tr', null,
        el('th', { text: name, attrs: { scope: 'row' } }),
        el('td', { text: String(h[name]) })));
    }
    return el('table', { className: 'headers' },
      el('caption', { className: 'visually-hidden', text: caption }), tbody);
  }

  function bodyBlock(body, label) {
    const b = prettyBody(body);
    return el('pre', {
      className: b.empty ? 'body muted' : 'body',
      text: b.text,
      attrs: { tabindex: '0', 'aria-label': label },
    });
  }

  function renderExchange(entry) {
    const req = entry.request && typeof entry.request === 'object' ? entry.request : {};
    const res = entry.response && typeof entry.response === 'object' ? entry.response : null;
    const ids = el('dl', { className: 'ids' },
      el('dt', { text: 'Log' }), el('dd', { className: 'mono', text: str(entry.id) }),
      el('dt', { text: 'Delivery' }), el('dd', { className: 'mono', text: str(entry.delivery_id) || '—' }),
      el('dt', { text: 'Event' }), el('dd', { className: 'mono', text: str(entry.event_id) || '—' }));

    const request = el('section', { className: 'half' },
      el('h4', { text: 'Request' }),
      el('p', { className: 'reqline' },
        el('span', { className: 'badge', text: str(req.method) }), ' ',
        el('span', { className: 'mono break', text: str(req.url) })),
      str(req.note) ? el('p', { className: 'note', text: `Note: ${req.note}` }) : null,
      headersTable(req.headers, 'Request headers'),
      bodyBlock(req.body, 'Request body'));

    const response = el('section', { className: 'half' }, el('h4', { text: 'Response' }));
    if (str(entry.error)) response.append(el('p', { className: 'error-text', text: `Error: ${entry.error}` }));
    if (res) {
      response.append(
        el('p', { className: `reqline entry-status ${succeeded(entry) ? 'ok' : 'fail'}`, text: `Status ${res.status}` }),
        headersTable(res.headers, 'Response headers'),
        bodyBlock(res.body, 'Response body'));
    } else {
      response.append(el('p', { className: 'muted', text: 'No response was received.' }));
    }
    const time = el('p', { className: 'muted' }, `${formatTime(entry.created_at)} · attempt ${Number(entry.attempt) || 0} · ${Number(entry.duration_ms) || 0} ms`);
    return [time, ids, el('div', { className: 'exchange' }, request, response)];
  }

  // ---- Test and retry ----------------------------------------------------

  async function sendTest() {
    const sel = state.selected;
    if (!sel) return;
    const btn = $('send-test');
    btn.disabled = true;
    btn.textContent = 'Sending…';
    try {
      const entry = await api('POST', `/v1/${sel.type}s/${encodeURIComponent(sel.id)}/test`, { event: 'webhook.test' });
      if (sel !== state.selected || !entry || typeof entry.id !== 'string') return;
      $('test-result-entry').replaceChildren(el('ol', { className: 'logs' }, renderEntry(entry, true)));
      $('test-result').hidden = false;
      notify(`Test sent: ${succeeded(entry) ? 'succeeded' : 'failed'} (${statusText(entry)}).`);
      if (matchesFilters(entry)) prependEntry(entry, true);
    } catch (e) {
      showError(e);
    } finally {
      btn.disabled = false;
      btn.textContent = 'Send test';
    }
  }

  async function retry(entry, btn) {
    btn.disabled = true;
    try {
      const r = await api('POST', `/v1/deliveries/${encodeURIComponent(entry.delivery_id)}/retry`);
      const follow = state.live ? 'New attempts appear as they are made.' : 'Refresh the log to see new attempts.';
      notify(`Retry of delivery ${str(r && r.delivery_id) || entry.delivery_id} started. ${follow}`);
    } catch (e) {
      showError(e);
    } finally {
      btn.disabled = false;
    }
  }

  // ---- Live stream (server-sent events over fetch) -------------------------

  // createSSEParser returns a push(text) function that splits a
  // text/event-stream into events and calls onEvent({type, data, id}) for
  // each, following the WHATWG event-stream rules. The retry field is
  // ignored: reconnection uses its own backoff.
  function createSSEParser(onEvent) {
    let buf = '';
    let data = '';
    let type = '';
    let idBuf = '';

    function dispatch() {
      const id = idBuf;
      if (data === '') {
        // No event, but the position counts (the stream names its
        // starting point this way).
        type = '';
        if (id) onEvent({ type: '', data: '', id });
        return;
      }
      const ev = { type: type || 'message', data: data.slice(0, -1), id };
      data = '';
      type = '';
      onEvent(ev);
    }

    function line(l) {
      if (l === '') return dispatch();
      if (l[0] === ':') return undefined;
      const colon = l.indexOf(':');
      const name = colon < 0 ? l : l.slice(0, colon);
      let value = colon < 0 ? '' : l.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (name === 'event') type = value;
      else if (name === 'data') data += `${value}\n`;
      else if (name === 'id' && !value.includes('\0')) idBuf = value;
      return undefined;
    }

    return function push(chunk) {
      buf += chunk;
      let i = 0;
      for (;;) {
        const n = buf.indexOf('\n', i);
        const r = buf.indexOf('\r', i);
        if (n < 0 && r < 0) break;
        if (r < 0 || (n >= 0 && n < r)) {
          line(buf.slice(i, n));
          i = n + 1;
        } else {
          if (r === buf.length - 1) break; // may be the first half of \r\n
          line(buf.slice(i, r));
          i = buf[r + 1] === '\n' ? r + 2 : r + 1;
        }
      }
      buf = buf.slice(i);
    };
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }

  function setLiveState(text) {
    $('live-state').textContent = text;
  }

  function onLiveEvent(live, ev) {
    if (ev.id) live.lastId = ev.id;
    if (live !== state.live || ev.type !== 'log') return;
    let entry;
    try {
      entry = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string') return;
    if (!matchesFilters(entry) || state.logIds.has(entry.id)) return;
    prependEntry(entry, true);
    live.count += 1;
    setLiveState(`Live · ${live.count} new`);
  }

  // readStream connects once and reads events until the stream ends. A
  // client error (bad key, missing scope, unknown webhook) is final.
  async function readStream(live) {
    const headers = authHeaders('text/event-stream');
    if (live.lastId) headers['Last-Event-ID'] = live.lastId;
    const res = await fetch(`/v1/webhooks/${encodeURIComponent(live.target)}/logs/stream`, {
      headers, cache: 'no-store', signal: live.controller.signal,
    });
    if (!res.ok) {
      const err = await problemFrom(res);
      err.final = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw err;
    }
    if (!res.body) {
      const err = new Error('This browser cannot read streamed responses.');
      err.final = true;
      throw err;
    }
    if (state.alertIsNetwork) clearError();
    setLiveState(live.count ? `Live · ${live.count} new` : 'Live · waiting for requests');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const push = createSSEParser((ev) => onLiveEvent(live, ev));
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        push(value);
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  async function runLive(live) {
    let delay = RECONNECT_MIN_MS;
    const { signal } = live.controller;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await readStream(live);
      } catch (e) {
        if (signal.aborted) return;
        if (e.final) {
          showError(e);
          stopLive('Live stopped.');
          return;
        }
      }
      if (signal.aborted) return;
      if (Date.now() - started > RECONNECT_MAX_MS) delay = RECONNECT_MIN_MS;
      setLiveState(`Live · reconnecting in ${Math.round(delay / 1000)} s`);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  function startLive() {
    const sel = state.selected;
    if (!sel || sel.type !== 'webhook') return;
    stopLive('');
    // Resume after the newest entry shown, so nothing between the list and
    // the stream is missed (see loadLogs for filtered lists).
    const live = { controller: new AbortController(), target: sel.id, lastId: state.headId, count: 0 };
    state.live = live;
    $('live-toggle').setAttribute('aria-pressed', 'true');
    setLiveState('Live · connecting');
    runLive(live);
  }

  function stopLive(text) {
    if (state.live) {
      state.live.controller.abort();
      state.live = null;
    }
    $('live-toggle').setAttribute('aria-pressed', 'false');
    setLiveState(text);
  }

  // ---- Wiring ------------------------------------------------------------

  function resetView() {
    stopLive('');
    state.selected = null;
    state.logsLoad += 1;
    for (const kind of ['webhooks', 'connectors']) {
      $(kind).replaceChildren();
      state.cursors[kind] = null;
      $(`${kind}-more`).hidden = true;
      $(`${kind}-empty`).hidden = true;
    }
    $('detail-body').hidden = true;
    $('detail-placeholder').hidden = false;
  }

  function showKeyState() {
    const has = Boolean(getKey());
    $('key-state').textContent = has ? 'Key set for this tab.' : 'No key set.';
    $('key-input').placeholder = has ? 'Key set (enter a new one to replace it)' : 'Bearer key with view:log and manage:webhook';
  }

  function init() {
    $('key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const key = $('key-input').value.trim();
      if (!key) {
        showError(new ApiError(0, 'No API key', 'Paste an API key into the field first.', []));
        return;
      }
      setKey(key);
      $('key-input').value = '';
      clearError();
      notify('');
      resetView();
      showKeyState();
      loadAllTargets();
    });
    $('key-forget').addEventListener('click', () => {
      setKey('');
      $('key-input').value = '';
      clearError();
      notify('Key forgotten.');
      resetView();
      showKeyState();
    });
    $('open-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!getKey()) {
        showError(new ApiError(0, 'No API key', 'Paste an API key into the field first.', []));
        return;
      }
      openById($('open-id').value);
    });
    $('alert-close').addEventListener('click', clearError);
    $('webhooks-refresh').addEventListener('click', () => loadTargets('webhooks', false));
    $('connectors-refresh').addEventListener('click', () => loadTargets('connectors', false));
    $('webhooks-more').addEventListener('click', () => loadTargets('webhooks', true));
    $('connectors-more').addEventListener('click', () => loadTargets('connectors', true));
    $('filters').addEventListener('submit', (e) => {
      e.preventDefault();
      loadLogs(false);
    });
    $('filter-status').addEventListener('change', () => loadLogs(false));
    $('logs-refresh').addEventListener('click', () => {
      if (state.selected) refreshSelected(state.selected.type);
      loadLogs(false);
    });
    $('logs-more').addEventListener('click', () => loadLogs(true));
    $('send-test').addEventListener('click', sendTest);
    $('test-result-close').addEventListener('click', () => {
      $('test-result').hidden = true;
      $('test-result-entry').replaceChildren();
    });
    $('live-toggle').addEventListener('click', () => {
      if (state.live) stopLive('');
      else startLive();
    });

    showKeyState();
    if (getKey()) loadAllTargets();
  }

  init();
})();
