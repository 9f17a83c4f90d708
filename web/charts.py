"""Small charts drawn on the server as inline SVG: no script, no CDN, text always escaped."""

from flask_babel import format_decimal
from markupsafe import Markup, escape

from workflow.machine import STATES, TRANSITIONS

# Narrow enough to be drawn at its own size in a phone's card (about 330 px), so that the text
# keeps its 13 px; each label stands on its own line above its bar, so no label is cut short.
BAR_HEIGHT, LABEL_HEIGHT, GAP, WIDTH = 14, 17, 9, 330
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP


def bar_chart(rows, *, title):
    """Horizontal bars for (label, count) rows, each label above its bar."""
    rows = list(rows)
    peak = max((count for _, count in rows), default=0) or 1
    height = len(rows) * ROW
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (label, count) in enumerate(rows):
        y = index * ROW
        length = round((WIDTH - 50) * count / peak)
        parts.append(
            f'<text x="0" y="{y + 13}" class="chart-label">{escape(label)}</text>'
            f'<rect x="0" y="{y + LABEL_HEIGHT}" width="{length}" height="{BAR_HEIGHT}" '
            f'class="chart-bar"/>'
            f'<text x="{length + 6}" y="{y + LABEL_HEIGHT + 12}" class="chart-value">'
            f"{format_decimal(count)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text inside went through escape())


# Where each state sits in the diagram: the climb on top, the ends below.
POSITIONS = {
    "draft": (80, 60),
    "commune_review": (260, 60),
    "district_review": (440, 60),
    "province_review": (620, 60),
    "commended": (800, 60),
    "returned": (260, 230),
    "rejected": (530, 230),
    "withdrawn": (80, 230),
}
BOX_W, BOX_H = 150, 40


def _edges():
    """Distinct (source, dest) pairs of the state table, with the actions that join them."""
    edges = {}
    for row in TRANSITIONS:
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for source in sources:
            edges.setdefault((source, row["dest"]), []).append(row["trigger"])
    return edges


def _border(x, y, towards_x, towards_y):
    """Where the line from a box's centre towards a point leaves the box."""
    dx, dy = towards_x - x, towards_y - y
    scales = [BOX_W / 2 / abs(dx) if dx else float("inf"), BOX_H / 2 / abs(dy) if dy else 1e9]
    scale = min(scales) + 0.02
    return round(x + dx * scale, 1), round(y + dy * scale, 1)


def workflow_diagram(current, *, state_labels, action_labels, title):
    """The state table as a diagram with `current` highlighted."""
    assert set(POSITIONS) == set(STATES), "every state of the machine needs a place"
    parts = [
        f'<svg class="diagram" viewBox="0 0 880 280" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'class="diagram-arrowhead"/></marker></defs>'
    ]
    for (source, dest), actions in _edges().items():
        (x1, y1), (x2, y2) = POSITIONS[source], POSITIONS[dest]
        # Bend each edge a little so that opposite edges between two states do not overlap.
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        bend = 18 if (x1, y1) < (x2, y2) else -18
        cx, cy = mx + (bend if y1 != y2 else 0), my - (bend if y1 == y2 else 0)
        (x1, y1), (x2, y2) = _border(x1, y1, cx, cy), _border(x2, y2, cx, cy)
        names = ", ".join(dict.fromkeys(str(action_labels[action]) for action in actions))
        parts.append(
            f'<path d="M{x1},{y1} Q{cx},{cy} {x2},{y2}" class="diagram-edge" '
            f'marker-end="url(#arrow)"><title>{escape(names)}</title></path>'
        )
    for state, (x, y) in POSITIONS.items():
        css = "diagram-state diagram-current" if state == current else "diagram-state"
        parts.append(
            f'<g class="{css}" data-state="{state}">'
            f'<rect x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="8"/><text x="{x}" y="{y + 5}" text-anchor="middle">'
            f"{escape(state_labels[state])}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text inside went through escape())
