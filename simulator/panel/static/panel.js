// The simulator's control panel: plain browser JavaScript, no build step, nothing from the network.
// State arrives as server-sent events from /api/events; controls are JSON POSTs to /api/*.
// Text from the server is only ever set with textContent, never parsed as HTML.

const $ = (selector) => document.querySelector(selector);
const LOG_ROWS = 300;

let people = [];
/** Every lane's view (index, terminal, direction, gate, health, site store), the first lane's first. */
let lanes = [];
let lastCodeSeq = 0;
let clockOffsetMs = 0;
let clockOverride = null;

function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = String(options.text);
  for (const [key, value] of Object.entries(options.data ?? {})) node.dataset[key] = String(value);
  for (const [key, value] of Object.entries(options.attrs ?? {})) node.setAttribute(key, String(value));
  for (const child of children) if (child) node.append(child);
  return node;
}

function showProblem(message) {
  const box = $('#problem');
  box.textContent = message;
  box.hidden = false;
  clearTimeout(showProblem.timer);
  showProblem.timer = setTimeout(() => {
    box.hidden = true;
  }, 8000);
}

async function post(action, body) {
  try {
    const response = await fetch(`/api/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      showProblem(
        `${action}: ${problem.message ?? response.statusText} (${problem.error ?? response.status})`,
      );
    }
  } catch (error) {
    showProblem(`${action}: ${error.message}`);
  }
}

function shanghaiTime(iso, withDate = false) {
  const shifted = new Date(Date.parse(iso) + 8 * 3_600_000).toISOString();
  return withDate ? `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}` : shifted.slice(11, 19);
}

// --- population ---------------------------------------------------------------------------------

function listBadges(lists) {
  const cell = el('td');
  for (const list of lists) {
    const kind = list.split(':')[0];
    cell.append(el('span', { className: `list list-${kind}`, text: list }));
  }
  return cell;
}

function personRow(person) {
  const codeCell = el('td');
  const revokeCell = el('td');
  if (person.hasCode) {
    codeCell.append(
      el('button', {
        text: 'scanner',
        data: { action: 'code', via: 'scanner', person: person.index },
        attrs: { type: 'button' },
      }),
      ' ',
      el('button', {
        text: 'camera',
        data: { action: 'code', via: 'camera', person: person.index },
        attrs: { type: 'button' },
      }),
    );
    const box = el('input', {
      data: { action: 'revoke', person: person.index },
      attrs: { type: 'checkbox', 'aria-label': `revoke the code of person ${person.index}` },
    });
    box.checked = person.revoked;
    revokeCell.append(box);
  } else {
    codeCell.append(el('span', { className: 'hint', text: 'no code' }));
  }
  return el(
    'tr',
    { data: { person: person.index, tier: person.tier, trustworthy: person.trustworthy } },
    el('td', { text: person.index }),
    el('td', { className: 'mono', text: person.masked }),
    el('td', { className: 'tier', text: person.tier }),
    listBadges(person.lists),
    el('td', { className: person.trustworthy ? 'yes' : '', text: person.trustworthy ? '✓' : '' }),
    el(
      'td',
      {},
      el('button', {
        text: 'tap card',
        data: { action: 'tap', person: person.index },
        attrs: { type: 'button' },
      }),
    ),
    codeCell,
    revokeCell,
  );
}

function renderPeople() {
  const onlyTrustworthy = $('#only-trustworthy').checked;
  const tier = $('#tier-filter').value;
  const list = $('#list-filter').value;
  const body = $('#people tbody');
  body.replaceChildren(
    ...people
      .filter((p) => !onlyTrustworthy || p.trustworthy)
      .filter((p) => !tier || p.tier === tier)
      .filter(
        (p) =>
          !list || (list === 'none' ? p.lists.length === 0 : p.lists.some((l) => l.split(':')[0] === list)),
      )
      .map(personRow),
  );
}

// --- gate ---------------------------------------------------------------------------------------

function renderGate(gate) {
  const lane = lanes.find((l) => l.index === (gate.lane ?? 0));
  if (lane) {
    lane.gate = gate;
    renderLanes();
  }
  // The drawing is lane 1's gate; the table shows every lane.
  if ((gate.lane ?? 0) !== 0) return;
  $('#gate').dataset.state = gate.state;
  const label = $('#gate-state');
  label.dataset.state = gate.state;
  label.textContent = gate.state === 'alarm' ? `alarm (${gate.phase})` : gate.state;
  $('#count-entry').textContent = gate.entryCount;
  $('#count-exit').textContent = gate.exitCount;
  $('#count-opens').textContent = gate.opens;
  $('#count-passages').textContent = gate.passages;
  $('#count-not-passed').textContent = gate.notPassed;
  $('#gate-alarms').textContent = gate.alarms.length ? `alarms: ${gate.alarms.join(', ')}` : '';
}

function siteText(site) {
  if (!site) return 'this lane only';
  const parts = [`${site.kind} ${site.up ? 'up' : 'DOWN'}`];
  if (site.deferredUses) parts.push(`${site.deferredUses} deferred`);
  if (site.reconciledUses) parts.push(`${site.reconciledUses} reconciled`);
  if (site.doubleGrants) parts.push(`${site.doubleGrants} double grant(s)`);
  return parts.join(' · ');
}

function renderLanes() {
  $('#lanes tbody').replaceChildren(
    ...lanes.map((lane) =>
      el(
        'tr',
        { data: { lane: lane.index, state: lane.gate.state } },
        el('td', { text: lane.index + 1 }),
        el('td', {
          className: 'mono',
          text: lane.terminalId,
          attrs: {
            title: `health: ${lane.health ?? '—'}${lane.alarms.length ? `; alarms: ${lane.alarms.join(', ')}` : ''}`,
          },
        }),
        el('td', { text: lane.direction }),
        el('td', { className: 'lane-gate', data: { state: lane.gate.state }, text: lane.gate.state }),
        el('td', { text: `${lane.gate.opens} / ${lane.gate.passages}` }),
        el('td', {
          className: lane.site && !lane.site.up ? 'site-down' : '',
          text: siteText(lane.site),
        }),
        el(
          'td',
          {},
          el('button', {
            text: 'screenshot',
            data: { action: 'screenshot', lane: lane.index },
            attrs: { type: 'button', title: 'show the last credit code again at this lane' },
          }),
        ),
      ),
    ),
  );
  const select = $('#lane-select');
  if (select.options.length !== lanes.length) {
    const chosen = select.value;
    select.replaceChildren(
      ...lanes.map((lane) =>
        el('option', { text: `${lane.index + 1} (${lane.direction})`, attrs: { value: lane.index } }),
      ),
    );
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  }
}

function showPassage(passage) {
  if (passage.kind !== 'passed' && passage.kind !== 'unmatched') return;
  const gate = $('#gate');
  gate.classList.remove('walking');
  // Restart the animation for back-to-back passages.
  void gate.getBoundingClientRect();
  gate.classList.add('walking');
}

// --- status -------------------------------------------------------------------------------------

function renderStatus(status) {
  if (Array.isArray(status.lanes)) {
    lanes = status.lanes;
    renderLanes();
  }
  const health = $('#health');
  health.dataset.state = status.restarting ? 'reconnecting' : (status.health ?? 'none');
  health.textContent = !status.lane
    ? 'no in-process lane'
    : status.restarting
      ? 'lane restarting…'
      : `lane ${status.health ?? '—'}`;
  clockOffsetMs = Date.parse(status.now) - Date.now();
  clockOverride = status.clockOverride;
  renderClock();

  for (const box of document.querySelectorAll('input[data-fault]')) {
    const value = status.faults[box.dataset.fault];
    box.checked = value !== null && value !== false;
  }
  if (status.faults['platform-latency'] !== null) $('#latency-ms').value = status.faults['platform-latency'];
  if (status.faults['platform-clock-skew'] !== null)
    $('#skew-ms').value = status.faults['platform-clock-skew'];
  $('#behaviour').value = status.behaviour;
  $('#platform-url').textContent = status.platformUrl;
  const offline = status.creditSourcesOffline;
  const snapshot = status.snapshot ? `snapshot #${status.snapshot.sequence}` : 'no snapshot yet';
  $('#offline-sources').textContent =
    `${offline.length ? `offline: ${offline.join(', ')}` : 'all credit sources online'} · ${snapshot}`;

  const devices = $('#devices');
  const items = Object.entries(status.devices).map(([name, state]) =>
    el('li', { className: 'chip', text: `${name}: ${state}`, data: { state, device: name } }),
  );
  for (const [device, until] of Object.entries(status.unplugged)) {
    const back = new Date(until).toLocaleTimeString();
    items.push(
      el('li', {
        className: 'chip',
        text: `${device}: unplugged until ${back}`,
        data: { state: 'unplugged' },
      }),
    );
  }
  if (!status.lane) items.push(el('li', { className: 'chip', text: 'decisions: your program on the PTYs' }));
  devices.replaceChildren(...items);
  $('#paths').textContent =
    `PTYs: ${status.paths.idCardReader} · ${status.paths.scanner} · ${status.paths.gate}`;
  for (const button of document.querySelectorAll('button[data-action="code"][data-via="camera"]')) {
    button.disabled = !status.lane;
  }
}

function renderClock() {
  const clock = $('#clock');
  clock.dataset.override = String(clockOverride !== null);
  const now = new Date(Date.now() + clockOffsetMs).toISOString();
  clock.textContent = `${shanghaiTime(now, true)}${clockOverride ? ' (override)' : ''}`;
}
setInterval(renderClock, 1000);

// --- decisions ----------------------------------------------------------------------------------

function decisionRow(entry) {
  const who =
    entry.masked ??
    (entry.source === 'credit-code' || entry.reasons.some((r) => r.startsWith('CODE_')) ? '信用码' : '—');
  return el(
    'tr',
    {
      className: entry.source ? `source-${entry.source}` : '',
      data: {
        seq: entry.seq,
        source: entry.source ?? 'none',
        outcome: entry.outcome ?? 'none',
        gate: entry.gate,
      },
    },
    el('td', { className: 'mono', text: shanghaiTime(entry.at) }),
    el('td', {
      text: `${(entry.lane ?? 0) + 1}${entry.siteStateDegraded ? ' ⚠' : ''}`,
      attrs: entry.siteStateDegraded
        ? { title: 'decided from local state: the site store did not answer' }
        : {},
    }),
    el('td', { text: entry.scene ?? '—' }),
    el('td', { className: 'mono', text: who }),
    el('td', { className: 'tier', text: entry.tier ?? '—' }),
    el('td', {
      className: entry.outcome ? `outcome-${entry.outcome}` : '',
      text: entry.outcome ?? entry.errorCode ?? '—',
    }),
    el('td', { text: entry.gate }),
    el('td', { className: 'wrap', text: entry.benefits.join('、') || '—' }),
    el('td', { className: 'wrap mono', text: entry.reasons.filter((r) => r !== 'GRANTED').join(' ') || '—' }),
    el('td', { text: entry.source ?? '—' }),
    el('td', {
      className: 'mono',
      text: entry.latencyMs === undefined ? '—' : `${entry.latencyMs.toFixed(1)} ms`,
    }),
  );
}

function addDecision(entry, fresh = true) {
  const body = $('#log tbody');
  if (body.querySelector(`tr[data-seq="${entry.seq}"]`)) return;
  const row = decisionRow(entry);
  if (fresh) row.classList.add('fresh');
  body.prepend(row);
  while (body.rows.length > LOG_ROWS) body.deleteRow(body.rows.length - 1);
}

// --- codes --------------------------------------------------------------------------------------

function renderCode(code) {
  if (!code || code.seq === lastCodeSeq) return;
  lastCodeSeq = code.seq;
  const qr = $('#qr');
  qr.src = `/api/code.svg?seq=${code.seq}`;
  qr.hidden = false;
  $('#qr-caption').textContent = `person ${code.person}'s phone → ${code.via}`;
  const camera = $('#camera');
  if (code.via === 'camera') {
    camera.src = `/api/camera.png?seq=${code.seq}`;
    camera.hidden = false;
    $('#camera-caption').textContent = 'camera frame 1280×720 (decoded by zxing-wasm in the lane)';
  } else {
    camera.hidden = true;
    $('#camera-caption').textContent = 'camera: — (sent by the serial scanner)';
  }
}

function renderScenario(progress) {
  const box = $('#scenario');
  if (!progress) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const failures = progress.failures ?? 0;
  box.textContent = `scenario “${progress.name}”: ${progress.state} · event ${progress.index}/${progress.total}${progress.last ? ` · ${progress.last}` : ''}${failures ? ` · ${failures} expectation(s) failed` : ''}`;
}

function renderAll(state) {
  people = state.people;
  renderPeople();
  renderGate(state.gate);
  renderStatus(state.status);
  $('#log tbody').replaceChildren();
  for (const entry of state.decisions) addDecision(entry, false);
  renderCode(state.code);
  renderScenario(state.scenario);
}

// --- controls -----------------------------------------------------------------------------------

$('#people').addEventListener('click', (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  const person = Number(target.dataset.person);
  const lane = Number($('#lane-select').value);
  if (target.dataset.action === 'tap') void post('tap', { person, lane });
  if (target.dataset.action === 'code') void post('code', { person, via: target.dataset.via, lane });
});
$('#lanes').addEventListener('click', (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.dataset.action === 'screenshot') {
    void post('screenshot', { lane: Number(target.dataset.lane) });
  }
});
$('#people').addEventListener('change', (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.dataset.action === 'revoke') {
    const person = Number(target.dataset.person);
    const entry = people.find((p) => p.index === person);
    if (entry) entry.revoked = target.checked;
    void post('revoke', { person, on: target.checked });
  }
});
for (const id of ['#only-trustworthy', '#tier-filter', '#list-filter'])
  $(id).addEventListener('change', renderPeople);

for (const box of document.querySelectorAll('input[data-fault]')) {
  box.addEventListener('change', () => {
    const fault = box.dataset.fault;
    const body = { fault, on: box.checked };
    if (fault === 'platform-latency') body.valueMs = Number($('#latency-ms').value);
    if (fault === 'platform-clock-skew') body.valueMs = Number($('#skew-ms').value);
    void post('fault', body);
  });
}
for (const button of document.querySelectorAll('button[data-unplug]')) {
  button.addEventListener('click', () =>
    post('unplug', { device: button.dataset.unplug, forMs: Math.round(Number($('#unplug-s').value) * 1000) }),
  );
}
$('#behaviour').addEventListener('change', () => post('behaviour', { behaviour: $('#behaviour').value }));
$('#clock-set').addEventListener('click', () => {
  const date = $('#clock-date').value;
  if (date) void post('clock', { date });
});
for (const button of document.querySelectorAll('button[data-clock]')) {
  button.addEventListener('click', () => post('clock', { date: button.dataset.clock }));
}
$('#clock-real').addEventListener('click', () => post('clock', { date: null }));

// --- live updates -------------------------------------------------------------------------------

const events = new EventSource('/api/events');
const connection = $('#connection');
events.addEventListener('open', () => {
  connection.dataset.state = 'live';
  connection.textContent = 'live';
});
events.addEventListener('error', () => {
  connection.dataset.state = 'connecting';
  connection.textContent = 'reconnecting…';
});
const on = (name, handler) => events.addEventListener(name, (message) => handler(JSON.parse(message.data)));
on('state', renderAll);
on('decision', (entry) => addDecision(entry));
on('gate', renderGate);
on('status', renderStatus);
on('passage', showPassage);
on('code', renderCode);
on('scenario', renderScenario);
on('problem', (problem) => showProblem(`${problem.message} (${problem.error})`));
on('restart', async () => {
  // The site was rebuilt: counters restart, the population is the same.
  const response = await fetch('/api/state');
  if (response.ok) renderAll(await response.json());
});
