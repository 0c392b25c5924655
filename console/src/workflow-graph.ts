// The case's workflow drawn from the definition its execution runs (ASL from the API), laid out by dagre (no
// hand-placed boxes), with the current state highlighted. An SVG image with a text alternative listing the states.
import dagre from '@dagrejs/dagre';
import { h, svg } from './dom.ts';
import type { AslState, Workflow } from './types.ts';

const NODE_W = 200;
const NODE_H = 44;

/** Every transition a state declares: Next, Choice branches and Default, Catch targets. */
function transitions(state: AslState): { to: string; label?: string }[] {
  const out: { to: string; label?: string }[] = [];
  if (state.Next) out.push({ to: state.Next });
  for (const c of state.Choices ?? []) out.push({ to: c.Next, label: 'yes' });
  if (state.Default) out.push({ to: state.Default, label: 'no' });
  for (const c of state.Catch ?? []) out.push({ to: c.Next, label: 'error' });
  return out;
}

export function workflowGraph(w: Workflow): HTMLElement {
  const def = w.definition;
  if (!def) return h('p', { class: 'muted' }, 'The workflow definition is not available yet (the timer has not started).');
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 50, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const name of Object.keys(def.States)) g.setNode(name, { width: NODE_W, height: NODE_H });
  for (const [name, state] of Object.entries(def.States)) for (const t of transitions(state)) g.setEdge(name, t.to, { label: t.label ?? '', width: t.label ? 30 : 0, height: t.label ? 16 : 0 });
  dagre.layout(g);

  const { width = 400, height = 300 } = g.graph();
  const current = w.currentState;
  const root = svg('svg', { viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, width: Math.ceil(width), height: Math.ceil(height), class: 'graph', role: 'img', 'aria-labelledby': 'graph-title' });
  root.append(
    svg('title', { id: 'graph-title' }, `Workflow ${Object.keys(def.States).join(', ')}; ${current ? `now in ${current}` : 'not running'}`),
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))),
  );
  for (const e of g.edges()) {
    const edge = g.edge(e) as { points: { x: number; y: number }[]; label?: string; x?: number; y?: number };
    const d = edge.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
    root.append(svg('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }));
    if (edge.label && edge.x !== undefined && edge.y !== undefined) root.append(svg('text', { x: edge.x, y: edge.y + 4, class: 'edge-label', 'text-anchor': 'middle' }, edge.label));
  }
  for (const name of g.nodes()) {
    const n = g.node(name) as { x: number; y: number; width: number; height: number };
    const state = def.States[name]!;
    const cls = ['node', `type-${state.Type.toLowerCase()}`, name === current ? 'current' : ''].join(' ');
    root.append(
      svg(
        'g',
        { class: cls, 'data-state': name, transform: `translate(${(n.x - n.width / 2).toFixed(1)} ${(n.y - n.height / 2).toFixed(1)})` },
        svg('rect', { width: n.width, height: n.height, rx: state.Type === 'Choice' ? 22 : 6 }),
        svg('text', { x: n.width / 2, y: 18, 'text-anchor': 'middle', class: 'node-name' }, name),
        svg('text', { x: n.width / 2, y: 34, 'text-anchor': 'middle', class: 'node-type' }, name === current ? `${state.Type} · now here` : state.Type),
      ),
    );
  }
  return h(
    'figure',
    { class: 'graph-figure' },
    h('div', { class: 'graph-scroll' }, root),
    h('figcaption', { class: 'small muted' }, current ? `Highlighted: ${current}, where timer v${w.timerVersion} is now.` : `Timer v${w.timerVersion} is not running.`),
  );
}
