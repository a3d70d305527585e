// Heap snapshot arithmetic for bench/idle-heap.mjs: the objects new in a
// second snapshot of the same process (ids absent from the first) by type and
// constructor, by retainer, and the retained sizes (dominator tree) of the new
// instances of some classes and of what each of their fields holds alone.
import { readFileSync } from 'node:fs';


function loadSnapshot(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields;
  const ef = meta.edge_fields;
  return {
    nodes: snap.nodes,
    edges: snap.edges,
    strings: snap.strings,
    N: nf.length,
    E: ef.length,
    iType: nf.indexOf('type'),
    iName: nf.indexOf('name'),
    iId: nf.indexOf('id'),
    iSize: nf.indexOf('self_size'),
    iEdges: nf.indexOf('edge_count'),
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    eType: ef.indexOf('type'),
    eName: ef.indexOf('name_or_index'),
    eTo: ef.indexOf('to_node'),
  };
}

/** Classes whose fields the --holders owner table names (the nearest one up each object's retainer chain). */
const OWNERS = new Set((process.env.OWNERS ?? 'Certificate,TlsContext,TlsSocket,TLSSocket,Socket,TCP,TLSWrap,Connection,Engine,Inbound,Outbox,PostHandshake13,Renegotiations,ServerTickets,PeerLimits,PendingActions,RecordDeframer,HandshakeJoiner,ExpectTraffic13,_SendProtection,_ReceiveProtection,HelloGate,Inbox,ReadableState,WritableState,_Session,KeySchedule13').split(','));

const STRINGS = new Set(['string', 'concatenated string', 'sliced string']);

/** A readable group name for a node: type and constructor (object), function (closure), system name (hidden, native). */
function groupOf(s, i) {
  const type = s.nodeTypes[s.nodes[i + s.iType]];
  const name = s.strings[s.nodes[i + s.iName]];
  if (STRINGS.has(type)) return '(string)';
  if (type === 'code') return '(code)';
  if (type === 'number' || type === 'bigint' || type === 'symbol') return `(${type})`;
  if (type === 'object shape') return '(object shape)';
  if (type === 'closure') return `closure ${name || '(anonymous)'}`;
  if (type === 'array') return `array ${name}`;
  if (type === 'object') return name;
  return `${type} ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
}

function ids(s) {
  const set = new Set();
  for (let i = 0; i < s.nodes.length; i += s.N) set.add(s.nodes[i + s.iId]);
  return set;
}

/** Self size and count of the nodes of `after` absent from `before`, by group (and by holder when asked). */
export function aggregate(beforeFile, afterFile, holders) {
  const before = ids(loadSnapshot(beforeFile));
  const s = loadSnapshot(afterFile);
  const byGroup = new Map();
  const isNew = (i) => !before.has(s.nodes[i + s.iId]);
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += s.N) {
    if (!isNew(i)) continue;
    const g = groupOf(s, i);
    const size = s.nodes[i + s.iSize];
    total += size;
    const e = byGroup.get(g) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    byGroup.set(g, e);
  }
  let byHolder = null;
  let byOwner = null;
  if (holders) {
    // One retainer per node: the first strong edge to it found in node order from a non-synthetic node.
    const parent = new Int32Array(s.nodes.length / s.N).fill(-1);
    const via = new Array(s.nodes.length / s.N);
    let edge = 0;
    const weak = s.edgeTypes.indexOf('weak');
    for (let i = 0; i < s.nodes.length; i += s.N) {
      const count = s.nodes[i + s.iEdges];
      const parentType = s.nodeTypes[s.nodes[i + s.iType]];
      for (let k = 0; k < count; k++, edge += s.E) {
        const to = s.edges[edge + s.eTo] / s.N;
        if (parent[to] !== -1 || s.edges[edge + s.eType] === weak || parentType === 'synthetic') continue;
        const et = s.edgeTypes[s.edges[edge + s.eType]];
        const raw = s.edges[edge + s.eName];
        parent[to] = i / s.N;
        via[to] = et === 'element' || et === 'hidden' ? `[${et}]` : String(s.strings[raw] ?? raw);
      }
    }
    const add = (map, key, size) => {
      const e = map.get(key) ?? { size: 0, count: 0 };
      e.size += size;
      e.count++;
      map.set(key, e);
    };
    byHolder = new Map();
    byOwner = new Map();
    for (let i = 0; i < s.nodes.length; i += s.N) {
      if (!isNew(i)) continue;
      const j = i / s.N;
      const size = s.nodes[i + s.iSize];
      const p = parent[j];
      add(byHolder, p < 0 ? `(root) -> ${groupOf(s, i)}` : `${groupOf(s, p * s.N)}.${via[j]} -> ${groupOf(s, i)}`, size);
      // The nearest owner up the retainer chain (an object of a named class), and the field it holds it by.
      let c = j;
      let key = '(none)';
      for (let depth = 0; depth < 40 && parent[c] >= 0; depth++) {
        const up = parent[c];
        const g = groupOf(s, up * s.N);
        if (OWNERS.has(g)) {
          key = `${g}.${via[c]}`;
          break;
        }
        c = up;
      }
      add(byOwner, key, size);
    }
  }
  return { total, byGroup, byHolder, byOwner };
}

/**
 * Retained sizes (dominator tree, Cooper-Harvey-Kennedy over strong edges) in
 * the `after` snapshot: for each class of OWNERS with new instances, their
 * count and mean retained size, and what each field of theirs retains (the
 * objects it dominates: held by that instance alone).
 */
export function retained(beforeFile, afterFile, n) {
  const before = ids(loadSnapshot(beforeFile));
  const s = loadSnapshot(afterFile);
  const count = s.nodes.length / s.N;
  const weak = s.edgeTypes.indexOf('weak');
  const shortcut = s.edgeTypes.indexOf('shortcut');
  const firstEdge = new Int32Array(count + 1);
  for (let j = 0, e = 0; j < count; j++) {
    firstEdge[j] = e;
    e += s.nodes[j * s.N + s.iEdges] * s.E;
  }
  firstEdge[count] = s.edges.length;
  const strong = (e) => s.edges[e + s.eType] !== weak && s.edges[e + s.eType] !== shortcut;
  // Reverse postorder from the root (node 0), iteratively.
  const order = new Int32Array(count).fill(-1);
  const post = [];
  const stack = [0];
  const cursor = new Int32Array(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  for (let j = 0; j < count; j++) cursor[j] = firstEdge[j];
  while (stack.length) {
    const v = stack[stack.length - 1];
    let pushed = false;
    while (cursor[v] < firstEdge[v + 1]) {
      const e = cursor[v];
      cursor[v] += s.E;
      if (!strong(e)) continue;
      const w = s.edges[e + s.eTo] / s.N;
      if (seen[w]) continue;
      seen[w] = 1;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      stack.pop();
      order[v] = post.length;
      post.push(v);
    }
  }
  // Predecessors (strong edges between reachable nodes).
  const predCount = new Int32Array(count + 1);
  for (let v = 0; v < count; v++) {
    if (!seen[v]) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += s.E) if (strong(e)) predCount[s.edges[e + s.eTo] / s.N + 1]++;
  }
  for (let j = 0; j < count; j++) predCount[j + 1] += predCount[j];
  const preds = new Int32Array(predCount[count]);
  const fill = predCount.slice();
  for (let v = 0; v < count; v++) {
    if (!seen[v]) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += s.E) if (strong(e)) preds[fill[s.edges[e + s.eTo] / s.N]++] = v;
  }
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a, b) => {
    while (a !== b) {
      while (order[a] < order[b]) a = idom[a];
      while (order[b] < order[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = post.length - 1; k >= 0; k--) {
      const v = post[k];
      if (v === 0) continue;
      let d = -1;
      for (let q = predCount[v]; q < predCount[v + 1]; q++) {
        const p = preds[q];
        if (idom[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  // Retained sizes: children before parents (postorder).
  const ret = new Float64Array(count);
  for (let j = 0; j < count; j++) ret[j] = s.nodes[j * s.N + s.iSize];
  for (const v of post) if (v !== 0 && idom[v] >= 0) ret[idom[v]] += ret[v];
  const out = new Map();
  for (let v = 0; v < count; v++) {
    if (!seen[v] || before.has(s.nodes[v * s.N + s.iId])) continue;
    const g = groupOf(s, v * s.N);
    if (!OWNERS.has(g)) continue;
    const o = out.get(g) ?? { count: 0, retained: 0, fields: new Map() };
    o.count++;
    o.retained += ret[v];
    o.fields.set('(self)', (o.fields.get('(self)') ?? 0) + s.nodes[v * s.N + s.iSize]);
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += s.E) {
      if (!strong(e)) continue;
      const w = s.edges[e + s.eTo] / s.N;
      if (idom[w] !== v) continue;
      const et = s.edgeTypes[s.edges[e + s.eType]];
      const raw = s.edges[e + s.eName];
      const name = et === 'element' ? '[element]' : et === 'hidden' ? `[hidden] ${groupOf(s, w * s.N)}` : String(s.strings[raw] ?? raw);
      o.fields.set(name, (o.fields.get(name) ?? 0) + ret[w]);
    }
    out.set(g, o);
  }
  const lines = [];
  for (const [g, o] of [...out].sort((a, b) => b[1].retained - a[1].retained)) {
    lines.push(`${(o.retained / n / 1024).toFixed(2).padStart(9)} ${(o.count / n).toFixed(1).padStart(7)}  ${g} (retained, ${(o.retained / o.count).toFixed(0)} B each)`);
    for (const [f, b] of [...o.fields].sort((a, c) => c[1] - a[1])) {
      if (b / n < 8) continue;
      lines.push(`${(b / n / 1024).toFixed(2).padStart(18)}    .${f}`);
    }
  }
  return lines;
}
