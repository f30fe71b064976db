// The chat demo's job in Node + ws, so that frame-cost.sh (NODE=1) can put the demo's server CPU per
// frame next to a Node server's under the same load: heartbeats (a timestamp), subscribe (join a
// channel, answer a snapshot), status (fan the change out to the channel's members, batched per
// receiver: at most one frame per flush interval, 1 s as in the demo). No authentication, no limits,
// no origin check: it is a yardstick, not a server. Usage: node server.js PORT
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 18300);
const flushMillis = 1000;
const wss = new WebSocketServer({ port, host: '127.0.0.1', path: '/ws' });
const channels = new Map(); // channelId -> Set of sockets
const users = new Map(); // userId -> { state, lastHeartbeat }

wss.on('connection', (ws, req) => {
  const user = new URL(req.url, 'http://localhost').searchParams.get('user');
  ws.user = user;
  ws.pending = null;
  ws.channels = [];
  users.set(user, { state: 'online', lastHeartbeat: Date.now() });
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    const me = users.get(user);
    switch (message.type) {
      case 'heartbeat':
        me.lastHeartbeat = Date.now();
        break;
      case 'subscribe': {
        let members = channels.get(message.channelId);
        if (!members) {
          members = new Set();
          channels.set(message.channelId, members);
        }
        members.add(ws);
        ws.channels.push(members);
        const snapshot = [...members].map((s) => ({ userId: s.user, state: users.get(s.user).state }));
        ws.send(JSON.stringify({ type: 'snapshot', channelId: message.channelId, users: snapshot }));
        break;
      }
      case 'status':
        if (me.state === message.status) break;
        me.state = message.status;
        for (const members of ws.channels) {
          for (const receiver of members) {
            if (!receiver.pending) {
              receiver.pending = new Map();
              setTimeout(() => flush(receiver), flushMillis);
            }
            receiver.pending.set(user, { userId: user, state: me.state, lastSeen: me.lastHeartbeat });
          }
        }
        break;
      default:
        ws.send(JSON.stringify({ type: 'error', message: 'unknown message type' }));
    }
  });
  ws.on('close', () => ws.channels.forEach((members) => members.delete(ws)));
});

function flush(receiver) {
  const batch = receiver.pending;
  receiver.pending = null;
  if (receiver.readyState === 1) {
    receiver.send(JSON.stringify({ type: 'presence', users: [...batch.values()] }));
  }
}

console.log('open http://127.0.0.1:' + port);
