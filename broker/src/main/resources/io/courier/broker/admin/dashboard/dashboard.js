// The Courier dashboard: polls the admin port's JSON once a second and draws what it reads. No libraries.
(function () {
  'use strict';
  var HISTORY = 120;
  var samples = [];           // {t, in, out}: counters as read, for the rates
  var rates = [];             // {in, out} per second
  var $ = function (id) { return document.getElementById(id); };

  function fmt(n) { return Number(n).toLocaleString('en-US'); }
  function bytes(n) {
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i];
  }
  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d > 0 ? d + 'd ' + h + 'h' : h > 0 ? h + 'h ' + m + 'm' : m + 'm ' + (s % 60) + 's';
  }
  // A number shown formatted, with the exact value kept in data-value (the end-to-end test reads it).
  function number(id, n, text) {
    var el = $(id);
    el.setAttribute('data-value', String(n));
    el.textContent = text === undefined ? fmt(n) : text;
  }
  function get(path) {
    return fetch(path, {cache: 'no-store'}).then(function (r) {
      if (r.status === 404) { return null; }
      if (!r.ok) { throw new Error(path + ': HTTP ' + r.status); }
      return r.json();
    });
  }
  function cell(row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }
  function fill(table, rows, render) {
    var body = $(table).tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    rows.forEach(function (r) { var tr = document.createElement('tr'); render(tr, r); body.appendChild(tr); });
  }

  function server(s) {
    $('serverId').textContent = s.serverId;
    $('version').textContent = s.version;
    $('clientAddress').textContent = s.clientAddress;
    $('uptime').textContent = duration(s.uptimeSeconds);
    number('clients', s.clients);
    number('subscriptions', s.subscriptions);
    number('messagesIn', s.messagesIn);
    number('messagesOut', s.messagesOut);
    number('bytesIn', s.bytesIn, bytes(s.bytesIn));
    number('bytesOut', s.bytesOut, bytes(s.bytesOut));
    number('slowConsumers', s.slowConsumers);
    number('dropped', s.dropped);
    var now = performance.now();
    samples.push({t: now, in: s.messagesIn, out: s.messagesOut});
    if (samples.length > 1) {
      var a = samples[samples.length - 2], b = samples[samples.length - 1], dt = (b.t - a.t) / 1000;
      if (dt > 0) {
        rates.push({in: Math.max(0, (b.in - a.in) / dt), out: Math.max(0, (b.out - a.out) / dt)});
      }
    }
    while (samples.length > 2) { samples.shift(); }
    while (rates.length > HISTORY) { rates.shift(); }
    var last = rates.length ? rates[rates.length - 1] : {in: 0, out: 0};
    $('rateIn').textContent = fmt(Math.round(last.in)) + ' /s';
    $('rateOut').textContent = fmt(Math.round(last.out)) + ' /s';
    draw();
  }

  function draw() {
    var c = $('rates'), ctx = c.getContext('2d');
    var w = c.clientWidth || c.width, h = c.clientHeight || c.height, dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var left = 64, bottom = 22, top = 10, plotW = w - left - 10, plotH = h - bottom - top;
    var max = 10;
    rates.forEach(function (r) { max = Math.max(max, r.in, r.out); });
    max = niceCeil(max / 4) * 4;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#8a96a3';
    ctx.strokeStyle = '#2a3642';
    ctx.lineWidth = 1;
    for (var i = 0; i <= 4; i++) {
      var y = top + plotH - plotH * i / 4;
      ctx.beginPath(); ctx.moveTo(left, Math.round(y) + .5); ctx.lineTo(left + plotW, Math.round(y) + .5); ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText(fmt(Math.round(max * i / 4)), left - 6, y + 4);
    }
    ctx.textAlign = 'left';
    ctx.fillText('-' + HISTORY + ' s', left, h - 6);
    ctx.textAlign = 'right';
    ctx.fillText('now', left + plotW, h - 6);
    // In under out, wider: where every message goes to one subscriber the two lines coincide, and both show.
    line(ctx, 'in', '#4fb3ff', 4, left, top, plotW, plotH, max);
    line(ctx, 'out', '#ffb347', 1.5, left, top, plotW, plotH, max);
  }
  function line(ctx, key, color, width, left, top, plotW, plotH, max) {
    if (rates.length < 2) { return; }
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    rates.forEach(function (r, i) {
      var x = left + plotW * (HISTORY - rates.length + i) / (HISTORY - 1);
      var y = top + plotH - plotH * r[key] / max;
      if (i === 0) { ctx.moveTo(x, y); } else { ctx.lineTo(x, y); }
    });
    ctx.stroke();
  }
  function niceCeil(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function connections(page) {
    $('connectionsTotal').textContent = page.total > page.connections.length
        ? 'first ' + page.connections.length + ' of ' + fmt(page.total) : fmt(page.total) + ' open';
    $('connectionsTotal').setAttribute('data-value', String(page.total));
    fill('connections', page.connections, function (tr, c) {
      cell(tr, c.id);
      cell(tr, c.name || '(no name)');
      cell(tr, c.remote);
      cell(tr, c.connected ? c.transport : 'handshake');
      cell(tr, fmt(c.subscriptions), 'n');
      cell(tr, fmt(c.messagesIn), 'n');
      cell(tr, fmt(c.messagesOut), 'n');
      cell(tr, bytes(c.pendingBytes), 'n');
      cell(tr, duration(Math.floor(c.idleMillis / 1000)), 'n');
    });
  }
  function topics(t) {
    $('sampleEvery').textContent = t.sampleEvery;
    fill('topics', t.topics, function (tr, e) { cell(tr, e.topic); cell(tr, '≈ ' + fmt(e.publishes), 'n'); });
  }
  function cluster(c) {
    $('clusterAlone').hidden = c !== null;
    $('cluster').hidden = c === null;
    if (c === null) { return; }
    fill('cluster', c.members, function (tr, m) {
      cell(tr, m.node.replace(/^pekko:\/\/courier@/, ''));
      cell(tr, m.status);
      cell(tr, m.reachable ? 'yes' : 'NO', m.reachable ? '' : 'no');
      cell(tr, m.clientAddress);
      cell(tr, m.clients < 0 ? '?' : fmt(m.clients), 'n');
      cell(tr, m.interest < 0 ? '?' : fmt(m.interest), 'n');
      cell(tr, (m.self ? 'self' : '') + (m.node === c.leader ? (m.self ? ', ' : '') + 'leader' : ''));
    });
  }

  function poll() {
    Promise.all([get('/api/server'), get('/api/connections?limit=20'), get('/api/topics?limit=10'),
      get('/api/cluster')]).then(function (all) {
      server(all[0]);
      connections(all[1]);
      topics(all[2]);
      cluster(all[3]);
      var st = $('status');
      st.textContent = 'live';
      st.className = 'status ok';
      document.body.setAttribute('data-ready', 'true');
    }).catch(function (e) {
      var st = $('status');
      st.textContent = 'cannot read the admin port: ' + e.message;
      st.className = 'status bad';
    }).then(function () { setTimeout(poll, 1000); });
  }
  window.addEventListener('resize', draw);
  poll();
}());
