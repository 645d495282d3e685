// The inspector page of "clerkwebhook listen".
//
// Everything shown here came from a request someone sent, or from an app's
// answer. It is put in the page only as text: elements are made with
// createElement and filled with textContent (or append of a string, which
// makes a text node). No HTML is ever parsed from data; the page's
// Content-Security-Policy makes innerHTML and its kin throw.
'use strict';

(function () {
  const token = document.querySelector('meta[name="clerkwebhook-token"]').content;
  const rowsEl = document.getElementById('rows');
  const detailEl = document.getElementById('detail');
  const rows = new Map(); // seq -> {row, tr}
  let selected = 0; // seq of the delivery in the detail view
  let forwardTo = '';
  let detailVersion = 0; // guards against an older detail answer arriving last
  // What an action said, and whether the curl command is open, for the
  // delivery in view: kept when an update redraws the detail view.
  let message = {seq: 0, text: ''};
  let curlOpen = 0;
  let started = ''; // the listener's start: another one means another page

  // el makes an element: el('td', {class: 'x', title: 't'}, 'text', child).
  // Strings become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') {
        e.className = v;
      } else {
        e.setAttribute(k, v);
      }
    }
    for (const c of children) {
      if (c !== null && c !== undefined) {
        e.append(c);
      }
    }
    return e;
  }

  function orDash(s) {
    return s === '' ? '–' : s;
  }

  // Live updates -----------------------------------------------------------

  function setLive(on) {
    const live = document.getElementById('live');
    live.textContent = on ? 'live' : 'reconnecting…';
    live.className = on ? 'live on' : 'live off';
  }

  function connect() {
    const events = new EventSource('/api/events');
    events.addEventListener('open', () => setLive(true));
    events.addEventListener('error', () => setLive(false));
    events.addEventListener('deliveries', (ev) => {
      setLive(true);
      apply(JSON.parse(ev.data));
    });
  }

  function apply(u) {
    if (started !== '' && u.started !== started) {
      // The listener restarted: its deliveries, numbers and token are new.
      location.reload();
      return;
    }
    started = u.started;
    document.getElementById('receiver').textContent = u.receiver;
    forwardTo = u.forwardTo;
    const fwd = document.getElementById('forward-to');
    fwd.textContent = '';
    if (forwardTo !== '') {
      fwd.append(', forwarding to ', el('code', null, forwardTo));
    } else {
      fwd.append(' (not forwarding: start listen with --forward-to URL to send deliveries on to your app and replay them)');
    }
    const dropped = document.getElementById('dropped');
    dropped.hidden = u.dropped === 0;
    dropped.textContent = u.dropped === 0 ? '' :
      u.dropped + ' older ' + (u.dropped === 1 ? 'delivery was' : 'deliveries were') +
      ' dropped: the page keeps the last ' + u.keep + ' (listen --keep N).';

    let added = false;
    for (const row of u.rows) {
      const had = rows.get(row.seq);
      const tr = rowElement(row);
      if (had) {
        had.tr.replaceWith(tr);
      } else {
        added = true;
      }
      rows.set(row.seq, {row: row, tr: tr});
      if (row.seq === selected) {
        tr.classList.add('selected');
        loadDetail(row.seq);
      }
    }
    for (const [seq, r] of rows) {
      if (seq < u.oldest) {
        r.tr.remove();
        rows.delete(seq);
        if (seq === selected) {
          showGone();
        }
      }
    }
    if (added) {
      // Newest first.
      const seqs = Array.from(rows.keys()).sort((a, b) => b - a);
      for (const seq of seqs) {
        rowsEl.append(rows.get(seq).tr);
      }
    }
    document.getElementById('empty').hidden = rows.size > 0;
  }

  function rowElement(r) {
    const verdict = r.accepted ? r.verdict : 'rejected ' + r.status + ': ' + r.verdict;
    let fwd = r.forwarded;
    if (r.attempts > 1) {
      fwd += ' · ' + r.attempts + ' attempts';
    }
    const tr = el('tr', {'data-seq': String(r.seq), tabindex: '0', title: r.received},
      el('td', {class: 'time'}, r.time),
      el('td', {class: 'id mono', title: r.messageId}, orDash(r.messageId)),
      el('td', {class: 'type mono', title: r.type}, orDash(r.type)),
      el('td', {class: 'object mono', title: r.objectId}, orDash(r.objectId)),
      el('td', {class: 'verdict ' + (r.accepted ? 'ok' : 'bad')}, verdict),
      el('td', {class: 'forwarded ' + (r.forwarded === '' ? '' : r.forwardOk ? 'ok' : 'bad')}, orDash(fwd)),
      el('td', {class: 'cause'}, r.cause));
    tr.addEventListener('click', () => select(r.seq));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        select(r.seq);
      }
    });
    return tr;
  }

  // The detail view -------------------------------------------------------

  function select(seq) {
    for (const r of rows.values()) {
      r.tr.classList.remove('selected');
    }
    const r = rows.get(seq);
    if (r) {
      r.tr.classList.add('selected');
    }
    selected = seq;
    loadDetail(seq);
  }

  async function loadDetail(seq) {
    const version = ++detailVersion;
    let d;
    try {
      const resp = await fetch('/api/deliveries/' + seq);
      if (resp.status === 404) {
        if (version === detailVersion) {
          showGone();
        }
        return;
      }
      d = await resp.json();
    } catch (e) {
      return; // the stream's reconnection shows the listener is gone
    }
    if (version === detailVersion && seq === selected) {
      renderDetail(d);
    }
  }

  function showGone() {
    detailEl.hidden = false;
    detailEl.replaceChildren(el('p', {class: 'empty'}, 'This delivery was dropped (the page keeps the last ones only).'));
  }

  function section(title, ...children) {
    return el('section', {class: 'part'}, el('h3', null, title), ...children);
  }

  function definitions(pairs) {
    const dl = el('dl');
    for (const [k, v, cls] of pairs) {
      dl.append(el('dt', null, k), el('dd', {class: cls || ''}, v));
    }
    return dl;
  }

  function renderDetail(d) {
    const verdict = d.accepted ? d.verdict : 'rejected ' + d.status + ': ' + d.verdict;
    const status = el('p', {class: 'action-status', id: 'action-status', role: 'status'},
      message.seq === d.seq ? message.text : '');

    const actions = el('div', {class: 'actions'});
    const replay = el('button', {type: 'button', id: 'replay'}, 'Replay');
    const replayNew = el('button', {type: 'button', id: 'replay-new'}, 'Replay as new');
    for (const [b, path, what] of [[replay, 'replay', 'same bytes, same headers, same message id'],
      [replayNew, 'replay-new', 'same body, signed again under a fresh message id and timestamp']]) {
      b.title = what;
      if (d.replayOff !== '') {
        b.disabled = true;
        b.title = d.replayOff;
      }
      b.addEventListener('click', () => post(d.seq, path));
    }
    const copy = el('button', {type: 'button', id: 'copy-curl'}, 'Copy as curl');
    const curl = el('pre', {class: 'curl', id: 'curl'}, d.curl);
    curl.hidden = curlOpen !== d.seq;
    copy.addEventListener('click', () => copyCurl(d.seq, d.curl, curl));
    const download = el('a', {class: 'button', id: 'download', href: '/api/deliveries/' + d.seq + '/capture',
      download: 'clerkwebhook-delivery-' + d.seq + '.txt'}, 'Download capture');
    download.title = 'a capture that "clerkwebhook verify --headers FILE" reads';
    actions.append(replay, replayNew, copy, download);
    const parts = [
      el('h2', null, 'Delivery ', el('span', {class: 'mono'}, orDash(d.messageId))),
      actions,
    ];
    if (d.replayOff !== '') {
      parts.push(el('p', {class: 'note'}, 'Replay: ' + d.replayOff + '.'));
    }
    parts.push(status, curl);

    parts.push(section('Summary', definitions([
      ['Type', orDash(d.type), 'mono'],
      ['Object id', orDash(d.objectId), 'mono'],
      ['Occurred at', orDash(d.occurredAt)],
      ['Payload', orDash(d.payload), 'mono'],
      ['Read from', d.verified ? 'the verified event' : 'the unverified body (the library did not accept it)'],
      ['Received', d.received + ' (' + d.method + ' ' + d.uri + ')'],
    ])));

    const diag = [['Verdict', verdict, d.accepted ? 'ok' : 'bad']];
    if (d.error !== '') {
      diag.push(['Library error', d.error, 'mono']);
    }
    if (d.cause !== '') {
      diag.push(['Cause', d.cause]);
    }
    parts.push(section('Diagnosis', definitions(diag)));

    const attempts = el('table', {class: 'attempts', id: 'attempts'},
      el('thead', null, el('tr', null, el('th', null, 'At'), el('th', null, 'Kind'), el('th', null, 'Message id'),
        el('th', null, 'Status'), el('th', null, 'Time'), el('th', null, 'Answer'))));
    const tbody = el('tbody');
    for (const a of d.attemptList) {
      const answer = a.error !== '' ? a.error : a.answer + (a.answerTruncated ? ' …' : '');
      tbody.append(el('tr', {class: a.status >= 200 && a.status < 300 ? 'ok' : 'bad'},
        el('td', null, a.at), el('td', null, a.kind), el('td', {class: 'mono'}, a.messageId),
        el('td', null, a.status === 0 ? 'no answer' : a.statusText), el('td', null, a.duration),
        el('td', {class: 'mono answer'}, answer)));
    }
    attempts.append(tbody);
    const attemptsPart = d.attemptList.length > 0 ? attempts :
      el('p', {class: 'note'}, forwardTo === '' ? 'Not forwarded (no --forward-to).' : 'Not forwarded.');
    parts.push(section('Forwarded to the app', attemptsPart,
      d.droppedAttempts > 0 ? el('p', {class: 'note'}, d.droppedAttempts + ' earlier replays not kept.') : null));

    const headers = el('table', {class: 'headers', id: 'headers'});
    for (const h of d.headers) {
      headers.append(el('tr', {class: h.signature ? 'signature' : ''},
        el('th', {class: 'mono'}, h.name),
        el('td', {class: 'mono'}, h.value),
        el('td', {class: 'mark'}, h.signature ? 'signature' : '')));
    }
    parts.push(section('Headers', headers));

    const size = d.bodySize + ' bytes' + (d.bodyTruncated ? ', over the limit: only the first bytes were kept' : '');
    parts.push(section('Body as JSON', d.prettyError !== '' ?
      el('p', {class: 'note'}, d.prettyError) : el('pre', {class: 'body', id: 'pretty'}, d.pretty)));
    parts.push(section('Raw body (' + size + ')',
      el('p', {class: 'note'}, 'The bytes as received; a control character or an invalid byte is shown as its escape (\\x1b, \\r).'),
      el('pre', {class: 'body', id: 'raw'}, d.body)));

    detailEl.replaceChildren(...parts);
    detailEl.hidden = false;
  }

  // say shows what an action did, in the detail view of seq if it is open.
  function say(seq, text) {
    message = {seq: seq, text: text};
    const status = document.getElementById('action-status');
    if (status && selected === seq) {
      status.textContent = text;
    }
  }

  async function post(seq, path) {
    say(seq, 'sending…');
    try {
      const resp = await fetch('/api/deliveries/' + seq + '/' + path, {
        method: 'POST',
        headers: {'X-Clerkwebhook-Token': token},
      });
      const answer = await resp.json();
      if (!resp.ok) {
        say(seq, answer.error);
        return;
      }
      say(seq, answer.kind + ' sent as ' + answer.messageId + ': ' +
        (answer.status === 0 ? 'no answer from the app' : 'the app answered ' + answer.status));
    } catch (e) {
      say(seq, 'the listener did not answer: ' + e);
    }
  }

  async function copyCurl(seq, text, pre) {
    curlOpen = seq;
    pre.hidden = false;
    try {
      await navigator.clipboard.writeText(text);
      say(seq, 'curl command copied.');
    } catch (e) {
      // No clipboard (not a secure context, or no permission): select it.
      const range = document.createRange();
      range.selectNodeContents(pre);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      say(seq, 'select and copy the command below.');
    }
  }

  connect();
})();
