// presence chat demo: the client's part of the seed's design, in plain JavaScript.
// Heartbeats, idle detection (input and tab visibility), typing debounce, reconnect with backoff and a
// fresh snapshot. The JSON protocol is described in presence-examples/javalin/README.md.
(function () {
  'use strict';

  const params = new URLSearchParams(location.search);

  // Timings: built-in defaults, then the server's settings (sent in each snapshot), then URL overrides
  // such as ?idleMs=1500&heartbeatMs=500 (used by the browser tests).
  const cfg = {
    heartbeatMs: 15000,     // the seed's heartbeat interval
    idleMs: 120000,         // idle after 2 minutes without mouse, key, scroll or touch input
    activityMs: 10000,      // report input to the server at most this often
    typingRepeatMs: 2000,   // while typing goes on, repeat typing-start at most this often
    typingStopMs: 2000,     // typing-stop after this long without a keystroke (the seed's debounce)
    reconnectBaseMs: 500,   // first reconnect delay; doubles per failed attempt, with jitter
    reconnectMaxMs: 15000,
    lastSeenRefreshMs: 15000,
  };
  const overridden = new Set();
  for (const key of Object.keys(cfg)) {
    if (params.has(key)) {
      const value = Number(params.get(key));
      if (Number.isFinite(value) && value > 0) {
        cfg[key] = value;
        overridden.add(key);
      }
    }
  }

  const channel = params.get('channel') || 'lobby';
  // A random device id per tab (per page load): each tab is its own device.
  const deviceId = 'tab-' + Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);

  // What the page observed, for tests and for the curious: every change of a shown status.
  const presenceLog = [];
  const debug = { deviceId, snapshots: 0, connects: 0, reconnects: 0, connected: false, cfg };
  window.__presenceLog = presenceLog;
  window.__presence = debug;

  const $ = (id) => document.getElementById(id);
  const el = {
    join: $('join'), joinForm: $('join-form'), name: $('name'), joinError: $('join-error'),
    app: $('app'), conn: $('conn'), contacts: $('contacts'), onlineCount: $('online-count'),
    meDot: $('me-dot'), meName: $('me-name'), meDetail: $('me-detail'),
    mode: $('mode'), statusText: $('status-text'), setStatus: $('set-status'), clearStatus: $('clear-status'),
    messages: $('messages'), typing: $('typing'), composerForm: $('composer-form'), composer: $('composer'),
    toast: $('toast'),
  };
  document.querySelectorAll('.channel-name').forEach((n) => { n.textContent = channel; });
  el.composer.placeholder = 'Message #' + channel;

  let me = null;
  let ws = null;
  let attempt = 0;
  let reconnectTimer = null;
  let heartbeatTimer = null;
  let serverOffset = 0;           // server wall clock minus ours, from the last snapshot
  let self = { mode: 'auto', text: null };
  const contacts = new Map();     // userId -> { state, text, lastSeen, version }
  const messages = new Map();     // id -> message, in arrival order
  const typing = new Map();       // userId -> local time the indicator expires

  // ----------------------------------------------------------------------------------------- join

  // The server's rule (UserNames): ASCII only, so no look-alike names (Cyrillic letters, zero-width
  // or right-to-left characters) can pass for someone else.
  const NAME = /^[A-Za-z0-9._-]{1,40}$/;

  function showJoin(message) {
    el.app.hidden = true;
    el.join.hidden = false;
    el.joinError.textContent = message || '';
    el.name.value = el.name.value || localStorage.getItem('presence-demo-name') || '';
    el.name.focus();
  }

  function join(name) {
    name = name.trim();
    if (!NAME.test(name)) {
      showJoin('Use 1 to 40 letters (a-z, A-Z), digits, dots, dashes or underscores.');
      return;
    }
    me = name;
    try { localStorage.setItem('presence-demo-name', name); } catch (e) { /* private mode */ }
    el.join.hidden = true;
    el.app.hidden = false;
    el.meName.textContent = me;
    el.meName.title = me;
    document.title = me + ' · presence chat demo';
    renderMessages();
    connect();              // the idle timer starts with the first snapshot
    el.composer.focus();
  }

  el.joinForm.addEventListener('submit', (e) => { e.preventDefault(); join(el.name.value); });

  // ----------------------------------------------------------------------------------------- socket

  function setConn(state, text) {
    document.body.dataset.conn = state;
    el.conn.textContent = text;
    debug.connected = state === 'connected';
    // Only a fresh snapshot makes the people list live again; until then it is the last known state.
    if (state !== 'connected') el.app.dataset.stale = 'true';
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    setConn(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting…' : 'reconnecting…');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const token = params.get('token');   // with the server's --secret: a signed name, passed on as is
    const socket = new WebSocket(scheme + '://' + location.host + '/ws?user=' + encodeURIComponent(me)
        + '&device=' + encodeURIComponent(deviceId) + (token ? '&token=' + encodeURIComponent(token) : ''));
    ws = socket;
    debug.connects++;
    socket.onopen = () => send({ type: 'subscribe', channelId: channel });
    socket.onmessage = (event) => {
      if (socket !== ws) return;
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    socket.onclose = (event) => {
      if (socket !== ws) return;
      ws = null;
      clearInterval(heartbeatTimer);
      if (event.code === 4400) {            // the server refused the name or device
        setConn('idle', 'not connected');
        showJoin(lastError || 'The server refused this name.');
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    const ceiling = Math.min(cfg.reconnectMaxMs, cfg.reconnectBaseMs * Math.pow(2, attempt));
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);   // "equal jitter"
    attempt++;
    debug.reconnects++;
    setConn('reconnecting', 'reconnecting in ' + Math.max(1, Math.round(delay / 1000)) + ' s…');
    reconnectTimer = setTimeout(connect, delay);
  }

  // Reconnect at once when the network comes back rather than waiting out the backoff.
  window.addEventListener('online', () => { if (me && !ws) { attempt = 0; connect(); } });

  let lastError = null;

  function handle(message) {
    switch (message.type) {
      case 'snapshot': onSnapshot(message); break;
      case 'presence': message.users.forEach((p) => applyPresence(p, 'presence')); renderContacts(); break;
      case 'typing': onTyping(message); break;
      case 'typing-stopped': typing.delete(message.userId); renderTyping(); break;
      case 'message': addMessage(message); break;
      case 'self': applySelf(message); break;
      case 'error':               // e.g. a refused status change: show what is really in force
        lastError = message.message;
        toast(message.message);
        el.mode.value = self.mode;
        break;
      default: break;
    }
  }

  function onSnapshot(snapshot) {
    debug.snapshots++;
    attempt = 0;
    serverOffset = snapshot.serverTime - Date.now();
    const settings = snapshot.settings || {};
    for (const key of ['heartbeatMs', 'idleMs', 'activityMs']) {
      if (!overridden.has(key) && settings[key] > 0) cfg[key] = settings[key];
    }
    // A snapshot replaces everything the page knew: after a reconnect, nothing stale survives.
    const seen = new Set();
    snapshot.users.forEach((p) => { seen.add(p.userId); applyPresence(p, 'snapshot', true); });
    for (const userId of [...contacts.keys()]) if (!seen.has(userId)) contacts.delete(userId);
    typing.clear();
    snapshot.typing.forEach(onTypingQuiet);
    messages.clear();
    snapshot.messages.forEach((m) => messages.set(m.id, m));
    applySelf(snapshot.you);
    renderContacts();
    renderTyping();
    renderMessages(true);
    setConn('connected', 'connected');
    el.app.dataset.stale = 'false';
    // Tell the server where this device stands, then keep it alive.
    if (document.hidden) send({ type: 'visibility', visible: false });
    else if (idle) send({ type: 'status', status: 'idle' });
    clearInterval(heartbeatTimer);
    heartbeatTimer = setInterval(() => send({ type: 'heartbeat' }), cfg.heartbeatMs);
    if (!idle) armIdleTimer();
  }

  // ----------------------------------------------------------------------------------------- presence

  function applyPresence(p, via, fromSnapshot) {
    const known = contacts.get(p.userId);
    if (known && !fromSnapshot && p.version < known.version) return;   // older than what we show
    if (!known || known.state !== p.state) {
      presenceLog.push({ t: Date.now(), userId: p.userId, state: p.state, via });
    }
    contacts.set(p.userId, { state: p.state, text: p.text, lastSeen: p.lastSeen, version: p.version });
  }

  function applySelf(you) {
    self = { mode: you.mode, text: you.text };
    el.mode.value = self.mode;
    if (document.activeElement !== el.statusText) el.statusText.value = self.text || '';
    renderContacts();
  }

  const RANK = { online: 0, dnd: 1, idle: 2, offline: 3 };
  const LABEL = { online: 'online', idle: 'idle', dnd: 'do not disturb', offline: 'offline' };

  function serverNow() { return Date.now() + serverOffset; }

  // Mirrors dev.presence.LastSeen: coarse buckets, never a ticking seconds counter.
  function lastSeenLabel(ms) {
    const now = serverNow();
    const ago = now - ms;
    if (ago < 60000) return 'just now';
    if (ago < 3600000) {
      const m = Math.floor(ago / 60000);
      return m === 1 ? '1 minute ago' : m + ' minutes ago';
    }
    const seen = new Date(ms);
    const today = new Date(now);
    const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth()
        && a.getDate() === b.getDate();
    if (sameDay(seen, today)) {
      const h = Math.floor(ago / 3600000);
      return h === 1 ? '1 hour ago' : h + ' hours ago';
    }
    const yesterday = new Date(today);
    yesterday.setDate(today.getDate() - 1);
    if (sameDay(seen, yesterday)) return 'yesterday';
    return 'on ' + seen.toLocaleDateString();
  }

  function describe(userId, c) {
    if (userId === me && self.mode === 'invisible') return 'invisible · others see you offline';
    if (c.state === 'offline') return c.lastSeen ? 'last seen ' + lastSeenLabel(c.lastSeen) : 'offline';
    return LABEL[c.state] || c.state;
  }

  function renderContacts() {
    if (!me) return;
    const entries = [...contacts.entries()].sort(([a, ca], [b, cb]) => {
      if (a === me) return -1;
      if (b === me) return 1;
      return (RANK[ca.state] - RANK[cb.state]) || a.localeCompare(b);
    });
    el.contacts.replaceChildren(...entries.map(([userId, c]) => {
      const li = document.createElement('li');
      li.className = 'contact';
      li.dataset.user = userId;
      li.dataset.state = c.state;
      const dot = document.createElement('span');
      dot.className = 'dot';
      dot.dataset.state = userId === me && self.mode === 'invisible' ? 'invisible' : c.state;
      dot.title = LABEL[c.state] || c.state;
      const who = document.createElement('div');
      const name = document.createElement('div');
      name.className = 'name';
      name.title = userId;                  // long names are cut with an ellipsis
      const nameText = document.createElement('span');
      nameText.className = 'name-text';
      nameText.textContent = userId;
      name.append(nameText);
      if (userId === me) {
        const tag = document.createElement('span');
        tag.className = 'you-tag';
        tag.textContent = ' (you)';
        name.append(tag);
      }
      const detail = document.createElement('div');
      detail.className = c.state === 'offline' ? 'detail last-seen' : 'detail';
      detail.textContent = describe(userId, c);
      who.append(name, detail);
      if (c.text) {
        const text = document.createElement('div');
        text.className = 'status-text';
        text.textContent = '“' + c.text + '”';
        who.append(text);
      }
      li.append(dot, who);
      return li;
    }));
    const mine = contacts.get(me);
    const myState = mine ? mine.state : 'offline';
    el.meDot.dataset.state = self.mode === 'invisible' ? 'invisible' : myState;
    el.meDetail.textContent = mine ? describe(me, mine) : '';
    const others = entries.filter(([u, c]) => u !== me && c.state !== 'offline').length;
    el.onlineCount.textContent = '· ' + (others === 1 ? '1 other here' : others + ' others here');
  }

  setInterval(renderContacts, cfg.lastSeenRefreshMs);   // buckets move on by themselves

  // ----------------------------------------------------------------------------------------- status

  function sendStatus() {
    const text = el.statusText.value.trim();
    if (!send({ type: 'status', status: el.mode.value, text: text || null })) toast('Not connected.');
  }
  el.mode.addEventListener('change', sendStatus);
  el.setStatus.addEventListener('click', sendStatus);
  el.statusText.addEventListener('keydown', (e) => { if (e.key === 'Enter') sendStatus(); });
  el.clearStatus.addEventListener('click', () => { el.statusText.value = ''; sendStatus(); });

  // ----------------------------------------------------------------------------------------- idle

  let idle = false;
  let idleTimer = null;
  let lastActivitySent = 0;
  let activityTimer = null;

  function armIdleTimer() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(goIdle, cfg.idleMs);
  }

  function goIdle() {
    if (!idle) {
      idle = true;
      send({ type: 'status', status: 'idle' });
    }
  }

  // Input keeps the server's own idle timer from firing: "activity", at most every activityMs, with a
  // trailing send so the last input of a burst is reported too.
  function reportActivity() {
    const wait = lastActivitySent + cfg.activityMs - Date.now();
    if (wait <= 0) {
      lastActivitySent = Date.now();
      send({ type: 'activity' });
    } else if (!activityTimer) {
      activityTimer = setTimeout(() => {
        activityTimer = null;
        if (!idle && !document.hidden) {
          lastActivitySent = Date.now();
          send({ type: 'activity' });
        }
      }, wait);
    }
  }

  function onInput() {
    if (!me || document.hidden) return;
    if (idle) {
      idle = false;
      lastActivitySent = Date.now();
      send({ type: 'status', status: 'online' });
    } else {
      reportActivity();
    }
    armIdleTimer();
  }

  for (const type of ['mousemove', 'mousedown', 'keydown', 'touchstart', 'scroll', 'wheel']) {
    window.addEventListener(type, onInput, { passive: true, capture: true });
  }

  // A hidden tab is idle; coming back counts as activity.
  document.addEventListener('visibilitychange', () => {
    if (!me) return;
    send({ type: 'visibility', visible: !document.hidden });
    if (!document.hidden) {
      idle = false;
      lastActivitySent = Date.now();
      armIdleTimer();
    }
  });

  // ----------------------------------------------------------------------------------------- typing

  let typingActive = false;
  let lastTypingSent = 0;
  let typingStopTimer = null;

  function stopTyping() {
    clearTimeout(typingStopTimer);
    if (typingActive) {
      typingActive = false;
      send({ type: 'typing-stop', channelId: channel });
    }
  }

  // typing-start on the first keystroke, repeated at most every typingRepeatMs while the burst lasts
  // (the server expires a burst a few seconds after its last signal); typing-stop after a pause.
  el.composer.addEventListener('input', () => {
    if (el.composer.value.trim() === '') { stopTyping(); return; }
    const now = Date.now();
    if (!typingActive || now - lastTypingSent >= cfg.typingRepeatMs) {
      if (send({ type: 'typing-start', channelId: channel })) {
        typingActive = true;
        lastTypingSent = now;
      }
    }
    clearTimeout(typingStopTimer);
    typingStopTimer = setTimeout(stopTyping, cfg.typingStopMs);
  });

  el.composerForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = el.composer.value.trim();
    if (!text) return;
    if (send({ type: 'message', channelId: channel, text })) {
      el.composer.value = '';
      clearTimeout(typingStopTimer);
      typingActive = false;     // the server ends the typing burst when the message arrives
    } else {
      toast('Not connected; the message was not sent.');
    }
  });

  function onTypingQuiet(event) {
    if (event.userId === me) return;
    typing.set(event.userId, event.expiresAt - serverOffset);
  }

  function onTyping(event) {
    if (event.channelId !== channel) return;
    onTypingQuiet(event);
    renderTyping();
  }

  // Receivers expire indicators themselves, so a lost typing-stopped cannot leave one on.
  setInterval(() => {
    const now = Date.now();
    let changed = false;
    for (const [userId, expires] of typing) {
      if (now > expires) { typing.delete(userId); changed = true; }
    }
    if (changed) renderTyping();
  }, 250);

  function renderTyping() {
    const names = [...typing.keys()].sort();
    el.typing.dataset.users = names.join(',');
    if (names.length === 0) el.typing.textContent = '';
    else if (names.length === 1) el.typing.textContent = names[0] + ' is typing…';
    else if (names.length === 2) el.typing.textContent = names[0] + ' and ' + names[1] + ' are typing…';
    else el.typing.textContent = 'several people are typing…';
  }

  // ----------------------------------------------------------------------------------------- messages

  function addMessage(message) {
    if (message.channelId !== channel || messages.has(message.id)) return;
    messages.set(message.id, message);
    if (typing.delete(message.userId)) renderTyping();
    renderMessages(message.userId === me);
  }

  // Keeps the newest message in view, unless the reader has scrolled up to read older ones.
  function renderMessages(toNewest) {
    const list = el.messages;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    if (messages.size === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No messages yet. Say hello!';
      el.messages.replaceChildren(li);
      return;
    }
    el.messages.replaceChildren(...[...messages.values()].map((m) => {
      const li = document.createElement('li');
      li.className = m.userId === me ? 'message mine' : 'message';
      li.dataset.id = m.id;
      li.dataset.user = m.userId;
      const meta = document.createElement('div');
      meta.className = 'meta';
      const author = document.createElement('span');
      author.className = 'author';
      author.textContent = m.userId;
      author.title = m.userId;
      const time = document.createElement('time');
      time.textContent = new Date(m.at - serverOffset).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      meta.append(author, time);
      const p = document.createElement('p');
      p.textContent = m.text;
      li.append(meta, p);
      return li;
    }));
    if (toNewest || atBottom) list.scrollTop = list.scrollHeight;
  }

  // ----------------------------------------------------------------------------------------- misc

  let toastTimer = null;
  function toast(text) {
    el.toast.textContent = text;
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.toast.hidden = true; }, 4000);
  }

  if (params.get('name')) join(params.get('name'));
  else showJoin();
})();
