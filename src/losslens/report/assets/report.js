/* losslens report: draws each run's annotated chart with uPlot when it scrolls near the
   viewport, and makes the overview table sortable and filterable.
   Data come from <script type="application/json" id="ll-data-N"> blocks written by
   losslens.report.html; every string from a log reaches the page through textContent or
   uPlot labels (also textContent), never as HTML. */
(function () {
  "use strict";
  var status = document.getElementById("ll-status");
  function setStatus(state, text) {
    if (!status) return;
    status.setAttribute("data-state", state);
    status.textContent = text;
  }
  window.addEventListener("error", function (e) {
    setStatus("error", "error: " + (e && e.message));
  });

  var drawn = 0;
  var live = [];          // every uPlot instance, for resizing
  // Read-only handle for scripts and tests: the charts drawn so far ({el, u} pairs).
  window.losslensReport = { charts: live };
  var DPR = window.devicePixelRatio || 1;

  function fmt(v, digits) {
    if (v == null || !isFinite(v)) return "\u2013";
    var a = Math.abs(v), p = digits || 4;
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(p - 2).replace(/\.?0+e/, "e");
    return String(+v.toPrecision(p));
  }

  function payload(idx) {
    var el = document.getElementById("ll-data-" + idx);
    return el ? JSON.parse(el.textContent) : null;
  }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + a + ")";
  }

  // ---- annotations drawn on the canvas ----------------------------------------------------
  function xpos(u, v) { return u.valToPos(v, "x", true); }

  function drawBackground(u, d) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.rect(b.left, b.top, b.width, b.height);
    ctx.clip();
    (d.phases || []).forEach(function (p) {
      var x0 = xpos(u, p.start), x1 = xpos(u, p.end);
      ctx.fillStyle = alpha(p.color, 0.09);
      ctx.fillRect(x0, b.top, x1 - x0, b.height);
    });
    ctx.restore();
  }

  function covers(u, x0, x1, y0, y1) {
    // Whether the box x0..x1, y0..y1 (canvas pixels) lies on the data: between the lowest and the highest shown
    // curve anywhere in x0..x1 (so on a line, or on the gap or forecast band between two). Lines are straight
    // between points and span gaps, so each curve's extremes there are at its points or where it crosses x0, x1.
    var xs = u.data[0], lo = Infinity, hi = -Infinity;
    for (var s = 1; s < u.series.length; s++) {
      if (!u.series[s].show) continue;
      var ys = u.data[s], px = null, py = null;
      for (var i = 0; i < xs.length; i++) {
        if (ys[i] == null) continue;
        var cx = xpos(u, xs[i]), cy = u.valToPos(ys[i], "y", true);
        if (!isFinite(cx) || !isFinite(cy)) continue;
        var seen = cx >= x0 && cx <= x1 ? [cy] : [];
        [x0, x1].forEach(function (e) {
          if (px != null && px < e && e < cx) seen.push(py + (cy - py) * (e - px) / (cx - px));
        });
        seen.forEach(function (y) { lo = Math.min(lo, y); hi = Math.max(hi, y); });
        px = cx; py = cy;
      }
    }
    return lo <= y1 && hi >= y0;
  }

  function markLabelBox(u, nx, w, row, placed, lines) {
    // Where a NaN mark's label covers no data, no other vertical line (``lines``: the marks, X) and no label
    // ``placed``: beside the mark, right of it first (the curves that broke there stop at it), from the bottom
    // up, below the strip of phase names and X. Drawn left of the mark at the bottom, it lay over the last
    // finite stretch of a loss that broke while falling.
    var b = u.bbox, h = 14 * DPR, pad = 3 * DPR, tries = [];
    [true, false].forEach(function (right) {
      var x0 = right ? nx + 5 * DPR : nx - 5 * DPR - w, x1 = x0 + w;
      if (x0 < b.left || x1 > b.left + b.width) return;
      for (var y1 = b.top + b.height - 4 * DPR; y1 - h >= b.top + 36 * DPR; y1 -= h) {
        tries.push({ x0: x0, x1: x1, y0: y1 - h, y1: y1, right: right });
      }
    });
    var free = tries.filter(function (t) {
      return !covers(u, t.x0 - pad, t.x1 + pad, t.y0 - pad, t.y1 + pad) && !lines.some(function (x) {
        return x > t.x0 - pad && x < t.x1 + pad;
      }) && !placed.some(function (p) {
        return t.x0 < p.x1 && p.x0 < t.x1 && t.y0 < p.y1 && p.y0 < t.y1;
      });
    });
    if (free.length) return free[0];
    // Nowhere clear: the bottom, a line each (the last mark lowest), on whichever side has room.
    var right = nx - 5 * DPR - w <= b.left, y1 = b.top + b.height - (4 + 14 * row) * DPR;
    var x0 = right ? nx + 5 * DPR : nx - 5 * DPR - w;
    // Wider than either side's room (a phone's chart): kept whole inside the plot, over the mark, on white
    // ("train loss and v" was cut at the plot's edge).
    var whole = x0 + w > b.left + b.width || x0 < b.left;
    if (whole) x0 = Math.max(b.left + 2 * DPR, Math.min(x0, b.left + b.width - w - 2 * DPR));
    // Over a curve there too (a run NaN from epoch 22 of 30, both losses blowing up into the mark: the label lay
    // across both curves and "val min"): null, and the label goes under the chart, as the PNG puts it in its legend.
    if (covers(u, x0 - pad, x0 + w + pad, y1 - h - pad, y1 + pad)) return null;
    return { x0: x0, x1: x0 + w, y0: y1 - h, y1: y1, right: right, whole: whole };
  }

  function offChartMarks(u, labels) {
    // The NaN marks' labels no place in the plot held, in a line under the chart (kept across redraws and zooms).
    var host = u.root.parentNode, key = host ? host.querySelector(".ll-nan-key") : null;
    if (!host) return;
    if (!labels.length) { if (key) host.removeChild(key); return; }
    if (!key) {
      key = document.createElement("div");
      key.className = "ll-nan-key";
      host.appendChild(key);
    }
    key.textContent = labels.map(function (t) { return "\u2506 " + t; }).join("   ");
  }

  // A dashed rule down the plot box ``b`` at canvas x, dashes of ``dash`` px, the context left saved and set to
  // write its label in ``colour`` at ``fontPx`` (the caller places the label, then restores).
  function dashedRule(ctx, b, x, colour, dash, fontPx, baseline) {
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * DPR;
    ctx.setLineDash([dash * DPR, 3 * DPR]);
    ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
    ctx.fillStyle = colour;
    ctx.font = (fontPx * DPR) + "px system-ui, sans-serif";
    ctx.textBaseline = baseline;
  }

  function drawMarks(u, d) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    ctx.setLineDash([]);  // uPlot leaves the last dashed series' pattern on the context
    ctx.beginPath();
    ctx.rect(b.left, b.top, b.width, b.height);
    ctx.clip();
    // Phase names along the top, over the grid, where the band is wide enough to hold them.
    ctx.font = (11 * DPR) + "px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    (d.phases || []).forEach(function (p) {
      var x0 = Math.max(xpos(u, p.start), b.left), x1 = Math.min(xpos(u, p.end), b.left + b.width);
      var w = ctx.measureText(p.label).width;
      if (x1 - x0 < w + 12 * DPR) return;
      var cx = (x0 + x1) / 2;
      ctx.fillStyle = "rgba(255,255,255,0.8)";
      ctx.fillRect(cx - w / 2 - 3 * DPR, b.top + 2 * DPR, w + 6 * DPR, 15 * DPR);
      ctx.fillStyle = "#6b7280";
      ctx.fillText(p.label, cx, b.top + 4 * DPR);
    });
    // Lone spikes above the cut axis: a triangle at the top edge in its curve's colour, its value beside it.
    // Spikes at one x (training and validation thrown up at one epoch) stand side by side, 10 px apart: drawn on
    // one place, the second hid the first, and its label the first's.
    var spikes = d.spikes || [], order = d.cols.map(function (col) { return col.label; });
    var tris = spikes.map(function (p) {
      var same = spikes.filter(function (q) { return q.x === p.x; }).sort(function (a, c) {
        return order.indexOf(a.label) - order.indexOf(c.label);
      });
      var k = same.indexOf(p), sx = xpos(u, p.x) + (k - (same.length - 1) / 2) * 10 * DPR;
      var c = (d.cols.filter(function (col) { return col.kind === "raw" && col.label === p.label; })[0] || {}).color;
      return { p: p, sx: sx, last: sx + (same.length - 1 - k) * 10 * DPR, color: c || "#374151" };
    }).filter(function (t) { return t.sx >= b.left && t.sx <= b.left + b.width; });
    // (x0, x1, row) taken along the top, row 0 the triangles'
    var rows = tris.map(function (t) { return { x0: t.sx - 5 * DPR, x1: t.sx + 5 * DPR, row: 0 }; });
    tris.forEach(function (t) {
      ctx.fillStyle = t.color;
      ctx.beginPath();
      ctx.moveTo(t.sx, b.top + 1 * DPR);
      ctx.lineTo(t.sx - 5 * DPR, b.top + 10 * DPR);
      ctx.lineTo(t.sx + 5 * DPR, b.top + 10 * DPR);
      ctx.closePath(); ctx.fill();
    });
    tris.forEach(function (t) {
      ctx.font = (10 * DPR) + "px system-ui, sans-serif";
      ctx.textAlign = "left"; ctx.textBaseline = "top";
      var text = t.p.label + " " + fmt(t.p.y), w = ctx.measureText(text).width + 4 * DPR;
      // Right of the last triangle at its x; a label that would touch a triangle or a label already written goes a
      // line lower (as the figure's values do).
      var x0 = t.last + 6 * DPR, row = 0;
      while (rows.some(function (r) { return r.row === row && r.x0 < x0 + w && x0 < r.x1; })) row += 1;
      rows.push({ x0: x0, x1: x0 + w, row: row });
      var ty = b.top + (1 + 13 * row) * DPR;
      ctx.fillStyle = "rgba(255,255,255,0.85)";  // over a phase name the top strip may hold
      ctx.fillRect(x0, ty, w, 13 * DPR);
      ctx.fillStyle = t.color;
      ctx.fillText(text, x0 + 2 * DPR, ty + 1 * DPR);
    });
    var marks = d.nonfinite || [], placed = [], off = [];
    var lines = marks.map(function (m) { return xpos(u, m.x); }).concat(d.plateau ? [xpos(u, d.plateau.x)] : []);
    marks.forEach(function (m, i) {
      // The loss turned NaN/inf here for good: the curve stops, the mark says why.
      var nx = xpos(u, m.x);
      dashedRule(ctx, b, nx, "#8b0000", 4, 11, "bottom");
      var box = markLabelBox(u, nx, ctx.measureText(m.label).width, marks.length - 1 - i, placed, lines);
      if (!box) {
        off.push(m.label);
      } else if (box.whole) {
        ctx.fillStyle = "rgba(255,255,255,0.85)";
        ctx.fillRect(box.x0 - 2 * DPR, box.y0, box.x1 - box.x0 + 4 * DPR, box.y1 - box.y0);
        ctx.fillStyle = "#8b0000";
        ctx.textAlign = "left";
        ctx.fillText(m.label, box.x0, box.y1);
      } else {
        ctx.textAlign = box.right ? "left" : "right";
        ctx.fillText(m.label, box.right ? nx + 5 * DPR : nx - 5 * DPR, box.y1);
      }
      if (box) placed.push(box);
      ctx.restore();
    });
    offChartMarks(u, off);
    var pl = d.plateau;
    var ranged = pl && pl.lo != null && pl.hi != null && pl.hi > pl.lo;
    if (ranged) {
      // X's interval: dotted edges and a bracket under its label, not a tint (a tint over the phase bands read
      // as one more phase).
      var a0 = xpos(u, pl.lo), a1 = xpos(u, pl.hi), by = b.top + 38 * DPR;
      ctx.save();
      ctx.strokeStyle = "#c0392b";
      ctx.lineWidth = 1 * DPR;
      ctx.setLineDash([2 * DPR, 3 * DPR]);
      ctx.beginPath();
      ctx.moveTo(a0, b.top); ctx.lineTo(a0, b.top + b.height);
      ctx.moveTo(a1, b.top); ctx.lineTo(a1, b.top + b.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1.5 * DPR;
      ctx.beginPath();
      ctx.moveTo(a0, by); ctx.lineTo(a1, by);
      ctx.moveTo(a0, by - 4 * DPR); ctx.lineTo(a0, by + 4 * DPR);
      ctx.moveTo(a1, by - 4 * DPR); ctx.lineTo(a1, by + 4 * DPR);
      ctx.stroke();
      ctx.restore();
    }
    if (pl) {
      var x = xpos(u, pl.x);
      ctx.strokeStyle = "#c0392b";
      ctx.lineWidth = 2 * DPR;
      ctx.beginPath();
      ctx.moveTo(x, b.top);
      ctx.lineTo(x, b.top + b.height);
      ctx.stroke();
      ctx.fillStyle = "#c0392b";
      ctx.font = "600 " + (12 * DPR) + "px system-ui, sans-serif";
      ctx.textBaseline = "top";
      var label = "X = " + fmt(pl.x) + (ranged ? " [" + fmt(pl.lo) + "\u2013" + fmt(pl.hi) + "]" : "");
      var w = ctx.measureText(label).width;
      var right = x + 5 * DPR + w < b.left + b.width;
      ctx.textAlign = right ? "left" : "right";
      ctx.fillText(label, right ? x + 5 * DPR : x - 5 * DPR, b.top + 20 * DPR);
    }
    var fl = d.flattened;
    if (fl) {
      // Where a still-falling curve slowed: dashed and named so, not X (the verdict says it has not plateaued).
      var flx = xpos(u, fl.x);
      dashedRule(ctx, b, flx, "#c0392b", 5, 12, "top");
      var fll = "flattened at " + fmt(fl.x) + " (still falling)";
      var flr = flx + 5 * DPR + ctx.measureText(fll).width < b.left + b.width;
      ctx.textAlign = flr ? "left" : "right";
      ctx.fillText(fll, flr ? flx + 5 * DPR : flx - 5 * DPR, b.top + 20 * DPR);
      ctx.restore();
    }
    var f = d.forecast;
    if (f && f.single) {
      var fx = xpos(u, f.x), fy = u.valToPos(f.mid, "y", true);
      ctx.strokeStyle = d.colors.forecast;
      ctx.fillStyle = d.colors.forecast;
      ctx.lineWidth = 1.5 * DPR;
      if (f.lo != null && f.hi != null) {
        var ylo = u.valToPos(f.lo, "y", true), yhi = u.valToPos(f.hi, "y", true);
        ctx.beginPath();
        ctx.moveTo(fx, ylo); ctx.lineTo(fx, yhi);
        ctx.moveTo(fx - 4 * DPR, ylo); ctx.lineTo(fx + 4 * DPR, ylo);
        ctx.moveTo(fx - 4 * DPR, yhi); ctx.lineTo(fx + 4 * DPR, yhi);
        ctx.stroke();
      }
      var s = 5 * DPR;
      ctx.beginPath();
      ctx.moveTo(fx, fy - s); ctx.lineTo(fx + s, fy); ctx.lineTo(fx, fy + s); ctx.lineTo(fx - s, fy);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
    ctx.save();
    ctx.setLineDash([]);  // (restored to uPlot's last dashed series: the forecast's dashes made the ring look cut)
    var vm = d.valmin;
    if (vm && vm.y != null && (d.logy ? vm.y > 0 : true)) {
      // The best validation point (a loss's minimum, an accuracy's maximum): a ring, labelled. Drawn after the
      // plot's clip is lifted: at the first point, on the left edge, half the ring was cut away.
      var vx = xpos(u, vm.x), vy = u.valToPos(vm.y, "y", true);
    }
    if (vx >= b.left && vx <= b.left + b.width && vy >= b.top && vy <= b.top + b.height) {  // (zoomed away: none)
      ctx.strokeStyle = d.colors.val;
      ctx.fillStyle = "#fff";
      ctx.lineWidth = 2 * DPR;
      ctx.beginPath();
      ctx.arc(vx, vy, 5 * DPR, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.font = (11 * DPR) + "px system-ui, sans-serif";
      // Inside the plot (centred under the ring, a minimum at the first point read "al min"), below-beside the ring
      // at an edge (X's line often stands on it there), on white (the curves run through the ring).
      var vl = vm.label || "val min", vw = ctx.measureText(vl).width;
      var side = vx - vw / 2 < b.left + 2 * DPR ? 1 : vx + vw / 2 > b.left + b.width - 2 * DPR ? -1 : 0;
      var ty = vy + 21 * DPR <= b.top + b.height ? vy + 8 * DPR : vy - 20 * DPR;
      var tx = side > 0 ? vx + 6 * DPR : side < 0 ? vx - 6 * DPR - vw : vx - vw / 2;
      // Off X's line and its interval's edges: centred on a ring beside X, "val min" was struck through. Moved to
      // the ring's side away from the line, where that side has room.
      var xl = d.plateau ? [d.plateau.x, d.plateau.lo, d.plateau.hi].filter(function (v) { return v != null; })
        .map(function (v) { return xpos(u, v); }) : [];
      var struck = function (x0) {
        return xl.some(function (x) { return x > x0 - 3 * DPR && x < x0 + vw + 3 * DPR; });
      };
      if (struck(tx)) {
        var cands = [vx + 8 * DPR, vx - 8 * DPR - vw].filter(function (x0) {
          return x0 >= b.left && x0 + vw <= b.left + b.width && !struck(x0);
        });
        var away = xl.length && xl[0] < vx ? cands : cands.slice().reverse();
        if (away.length) tx = away[0];
      }
      // Above the ring where a NaN mark's label holds the place below it: a diverged run's one finite point at
      // the foot of the axis had "val min" written over "train loss and val loss NaN from epoch 1".
      var hit = function (y) {
        return placed.some(function (p) { return tx < p.x1 && p.x0 < tx + vw && y < p.y1 && p.y0 < y + 13 * DPR; });
      };
      if (hit(ty) && !hit(vy - 20 * DPR) && vy - 20 * DPR >= b.top) ty = vy - 20 * DPR;
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(tx - 2 * DPR, ty - 1 * DPR, vw + 4 * DPR, 14 * DPR);
      ctx.fillStyle = d.colors.val;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(vl, tx, ty);
    }
    ctx.restore();
  }

  // ---- charts -------------------------------------------------------------------------------
  function padX(u, min, max) {
    // 2% of air on the right of the full data range, so that the last point and a forecast
    // marker stay visible. uPlot also calls this with zoomed (explicit) ranges: those pass
    // through unchanged, or every redraw would widen the axis again.
    var xs = u.data[0], first = xs[0], last = xs[xs.length - 1];
    if (min == null || max == null) return [min, max];
    if (min === max) return [min - 1, max + 1];
    if (min === first && max === last) return [min, max + (max - min) * 0.02];
    return [min, max];
  }

  function axisValues() {
    // As many digits as tell the ticks apart: a diverged run's one finite loss, 4.928 to 4.930, had its five ticks
    // written 4.93, 4.929, 4.929, 4.928, 4.928 at 4 digits.
    return function (u, splits) {
      var out = [];
      for (var p = 4; p <= 10; p++) {
        out = splits.map(function (v) { return v == null ? "" : fmt(v, p); });
        var seen = {}, clash = false;
        out.forEach(function (t) { if (t !== "" && seen[t]) clash = true; seen[t] = true; });
        if (!clash) break;
      }
      return out;
    };
  }

  function logTicks(u, space) {
    // The y ticks of a log axis, chosen and drawn here (drawLogAxis) rather than by uPlot: its axis gives up on
    // a range with values beyond 1e17 (past a float64's digits), so a diverged loss (3.7 to 1e34) had no tick
    // and no label at all. Of every k-th power of ten (k = 1, 2, 3, 5, 10 ...), 1, 2 and 5 x 10^k, and 1..9 x 10^k, the most ticks
    // that keep the axis's spacing; where that is one tick, or two inside a decade (nearly linear there),
    // evenly spaced round values.
    var min = u.scales.y.min, max = u.scales.y.max;
    if (min == null || max == null || !(min > 0) || !(max > min) || !isFinite(max)) return [];
    var most = Math.max(2, Math.floor(u.bbox.height / DPR / space) + 1);
    var lo = Math.log10(min), hi = Math.log10(max), best = [];
    function fits(vals) {
      if (vals.length > most) return false;
      for (var i = 1; i < vals.length; i++) {
        if (Math.abs(u.valToPos(vals[i], "y") - u.valToPos(vals[i - 1], "y")) < space * 0.75) return false;
      }
      return true;
    }
    function keep(vals) { if (vals.length > best.length && fits(vals)) best = vals; }
    [1, 2, 3, 5, 10, 20, 25, 50, 100].forEach(function (k) {
      var vals = [];
      for (var e = Math.ceil(lo / k - 1e-9); e <= Math.floor(hi / k + 1e-9); e++) vals.push(Number("1e" + e * k));
      keep(vals);
    });
    // (1, 2, 3, 5 and 1, 2, 3, 4, 5, 6, 8 between: with 1, 2 and 5 alone a sweep's curves, all in 0.25-0.5 on an
    // axis to 2.3, stood under the labels 0.5 and 1 only.)
    [[1, 2, 5], [1, 2, 3, 5], [1, 2, 3, 4, 5, 6, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9]].forEach(function (ms) {
      if (hi - lo > 4) return;
      var vals = [];
      for (var e = Math.floor(lo); e <= Math.ceil(hi); e++) {
        ms.forEach(function (m) { var v = Number(m + "e" + e); if (v >= min && v <= max) vals.push(v); });
      }
      keep(vals);
    });
    if (best.length < 2 || (hi - lo < 1 && best.length < 3)) {
      var mag = Math.pow(10, Math.floor(Math.log10(max - min)) - 2);
      for (var j = 0; j < 12; j++) {
        var step = [1, 2, 5][j % 3] * mag * Math.pow(10, Math.floor(j / 3)), vals = [];
        for (var i = Math.ceil(min / step - 1e-9); i * step <= max * (1 + 1e-12); i++) vals.push(+(i * step).toPrecision(12));
        if (vals.length >= 2 && fits(vals)) { best = vals; break; }
      }
    }
    return best;
  }

  function drawLogAxis(u, space) {
    // Grid lines, ticks and labels where uPlot draws its own (uPlot's are off on a log axis: logAxis).
    var ctx = u.ctx, b = u.bbox, ticks = logTicks(u, space);
    ctx.save();
    ctx.setLineDash([]);
    ctx.font = (12 * DPR) + "px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#4b5563";
    ctx.lineWidth = DPR;
    ticks.forEach(function (v) {
      var y = Math.round(u.valToPos(v, "y", true)) + 0.5;
      ctx.strokeStyle = "#eceff3";
      ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
      ctx.strokeStyle = "#d1d5db";
      ctx.beginPath(); ctx.moveTo(b.left - 10 * DPR, y); ctx.lineTo(b.left, y); ctx.stroke();
      ctx.fillText(fmt(v), b.left - 15 * DPR, y);
    });
    ctx.restore();
  }

  function noSplits() { return []; }

  function logRange(u, min, max) {
    // A little air around the data instead of uPlot's whole decades (which can waste half the height).
    if (min == null || max == null || !(min > 0)) return [min, max];
    return [min / 1.15, max * 1.15];
  }

  function logAxis(o, logy) {
    // Call last: it adds a hook to those the chart set.
    o.scales = { x: { time: false, range: padX }, y: logy ? { distr: 3, log: 10, range: logRange } : {} };
    if (logy) {
      var space = o.axes[1].space;
      o.axes[1].splits = noSplits;
      o.hooks.drawAxes = (o.hooks.drawAxes || []).concat([function (u) { drawLogAxis(u, space); }]);
    }
  }

  function ySize(shared) {
    // The y axis's width: 60 px, or what its longest label needs -- a diverged run's one finite loss, 181.43 and
    // 181.46, was labelled to 181.455, which ran into the axis's title. One width for a run's charts (shared.v,
    // the widest any of them needed), so their x axes still line up.
    return function (u, values, axisIdx) {
      var a = u.axes[axisIdx], w = 0;
      if (values && values.length) {
        u.ctx.font = a.font[0];
        values.forEach(function (v) { if (v) w = Math.max(w, u.ctx.measureText(v).width / DPR); });
        shared.v = Math.max(shared.v, Math.ceil(w + a.ticks.size + a.gap + 4));
      }
      return shared.v;
    };
  }

  function baseOpts(width, height, syncKey, axisLabel, showX, ysize) {
    return {
      width: width,
      height: height,
      // Same gutters on every chart of a run, so that their x axes line up.
      padding: [12, 24, showX ? 0 : 4, 0],
      cursor: { sync: { key: syncKey, setSeries: false }, drag: { x: true, y: false } },
      legend: { live: true },
      axes: [
        { show: showX, label: showX ? axisLabel : null, stroke: "#4b5563", grid: { stroke: "#eceff3" },
          ticks: { stroke: "#d1d5db" } },
        { stroke: "#4b5563", grid: { stroke: "#eceff3" }, ticks: { stroke: "#d1d5db" }, size: ySize(ysize || { v: 60 }), space: 36,
          values: axisValues(), labelSize: 16, labelFont: "12px system-ui, sans-serif" }
      ],
      series: [{ label: axisLabel, value: function (u, v) { return v == null ? "\u2013" : fmt(v); } }]
    };
  }

  function breakGaps(d) {
    // Stretches of the axis nothing was logged in (plot.axis_breaks): a series' line stops there instead of running
    // straight over them. uPlot asks for gaps only where spanGaps is off, and then also cuts at each null, so the
    // nulls' own gaps are dropped: a validation loss logged every 100 steps still spans its nulls.
    if (!d.breaks || !d.breaks.length) return null;
    return function (u) {
      return d.breaks.map(function (b) {
        return [Math.round(u.valToPos(b[0], "x", true)), Math.round(u.valToPos(b[1], "x", true))];
      });
    };
  }

  function mainChart(el, d, width) {
    var o = baseOpts(width, 300, el.id, d.axis, d.panels.length === 0, d.ysize);
    o.axes[1].label = d.ylabel;
    var data = [d.x];
    var bands = [];
    var idx = {};
    d.cols.forEach(function (c) {
      data.push(c.values);
      // A curve with one finite value (a run NaN from its second epoch) has no segment to stroke: its point is drawn.
      var finite = c.values.filter(function (v) { return v != null; }).length;
      var s = { label: c.label, spanGaps: true, points: { show: finite === 1, size: 7 },
                value: function (u, v) { return fmt(v); } };
      var gaps = breakGaps(d);
      if (gaps && (c.kind === "raw" || c.kind === "smooth")) { s.spanGaps = false; s.gaps = gaps; }
      if (c.kind === "raw") {
        s.stroke = alpha(c.color, 0.35); s.width = 1;
      } else if (c.kind === "smooth") {
        s.stroke = c.color; s.width = 2;
        // Few points (a Trainer's 8 evaluations): each marked, as the PNG marks them (plot.FEW_POINTS, 12).
        if (finite > 1 && finite <= 12) s.points = { show: true, size: 6 };
      } else if (c.kind === "fc_mid") {
        s.stroke = c.color; s.width = 1.5; s.dash = [6, 4];
      } else if (c.kind === "level") {  // a guesser's level (1/K, ln K) or the noise floor: grey, dashed
        s.stroke = c.color; s.width = 1; s.dash = [5, 3];
      } else {  // forecast lo/hi: only the band between them is drawn; no legend entry
        s.stroke = alpha(c.color, 0.5); s.width = 0.5; s.class = "ll-legend-hidden";
      }
      o.series.push(s);
      idx[c.kind + ":" + c.role] = o.series.length - 1;
    });
    if (idx["smooth:val"] && idx["smooth:train"]) {
      // The generalization gap: filled between the two smoothed curves, whichever is above.
      bands.push({ series: [idx["smooth:val"], idx["smooth:train"]], fill: alpha(d.colors.val, 0.12) });
      bands.push({ series: [idx["smooth:train"], idx["smooth:val"]], fill: alpha(d.colors.val, 0.12) });
    }
    if (idx["fc_hi:forecast"] && idx["fc_lo:forecast"]) {
      bands.push({ series: [idx["fc_hi:forecast"], idx["fc_lo:forecast"]], fill: alpha(d.colors.forecast, 0.18) });
    }
    o.bands = bands;
    o.hooks = {
      drawClear: [function (u) { drawBackground(u, d); }],
      draw: [function (u) { drawMarks(u, d); }]
    };
    logAxis(o, d.logy);
    cutAt(o, d.ymax);
    if (d.yrange) {
      // One finite point per curve (a run NaN from its second epoch): the axis plot.chart_data chose around them,
      // not uPlot's, a span as thin as the points' spread.
      o.scales.y.range = function () { return d.yrange.slice(); };
    }
    return new uPlot(o, data, el);
  }

  function cutAt(o, ymax) {
    // The y axis stops at ymax (a lone spike, or a run that blew up, leaves at the top).
    if (ymax == null) return;
    var base = o.scales.y.range;
    o.scales.y.range = function (u, min, max) {
      max = Math.min(max, ymax);
      if (base) return base(u, min, max);
      var pad = (max - min) * 0.05;
      return [min - pad, max + pad];
    };
  }

  function panelChart(el, d, p, width, last) {
    var o = baseOpts(width, last ? 150 : 110, el.id, d.axis, last, d.ysize);
    o.axes[1].label = p.title;
    o.axes[1].space = 24;
    var data = [d.x];
    p.series.forEach(function (s) {
      data.push(s.values);
      var gaps = breakGaps(d);
      o.series.push({ label: s.label, stroke: s.color, width: s.dash ? 1 : 1.5, spanGaps: !gaps,
                      gaps: gaps || undefined, dash: s.dash || undefined, points: { show: false }, value: function (u, v) { return fmt(v); } });
    });
    o.hooks = {
      draw: [function (u) {
        if (!d.plateau) return;
        var ctx = u.ctx, b = u.bbox, x = xpos(u, d.plateau.x);
        if (x < b.left || x > b.left + b.width) return;
        ctx.save();
        ctx.setLineDash([]);
        ctx.strokeStyle = "rgba(192,57,43,0.6)";
        ctx.lineWidth = 1.5 * DPR;
        ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
        ctx.restore();
      }]
    };
    logAxis(o, p.logy);
    if (p.bounds && !p.logy) {
      // uPlot's padding, stopped at the values' natural bounds: a constant accuracy of 0.938 ran from 0 to 1.88.
      o.scales.y.range = function (u, min, max) {
        var r = uPlot.rangeNum(min, max, 0.1, true);  // what uPlot does unasked
        return [Math.max(r[0], p.bounds[0]), Math.min(r[1], p.bounds[1])];
      };
    }
    return new uPlot(o, data, el);
  }

  function linkZoom(group) {
    // Zooming one chart of a run zooms the others (drag to zoom, double-click to reset).
    group.forEach(function (u) {
      u.hooks.setScale = u.hooks.setScale || [];
      u.hooks.setScale.push(function (src, key) {
        if (key !== "x") return;
        var min = src.scales.x.min, max = src.scales.x.max;
        group.forEach(function (other) {
          // Only charts not already there: this ends the echo of the other charts' hooks.
          if (other !== src && (other.scales.x.min !== min || other.scales.x.max !== max)) {
            other.setScale("x", { min: min, max: max });
          }
        });
      });
    });
  }

  function render(el) {
    if (el.getAttribute("data-drawn")) return;
    el.setAttribute("data-drawn", "1");
    var d = payload(el.getAttribute("data-idx"));
    if (!d) return;
    el.textContent = "";
    var width = Math.max(320, el.clientWidth || 640);
    d.ysize = { v: 60 };
    var group = [mainChart(el, d, width)];
    d.panels.forEach(function (p, i) {
      group.push(panelChart(el, d, p, width, i === d.panels.length - 1));
    });
    // A chart laid out before a later one widened the run's y axes is laid out again at that width.
    group.forEach(function (u) {
      if (u.axes[1]._size !== d.ysize.v) u.setSize({ width: u.width, height: u.height });
    });
    linkZoom(group);
    group.forEach(function (u) { live.push({ el: el, u: u }); });
    drawn += 1;
    el.closest(".ll-run") && el.closest(".ll-run").setAttribute("data-rendered", "1");
  }

  function drawAll() {
    // Every chart not drawn yet, at once: printed (or saved as PDF) a multi-run report had no charts, as only those
    // scrolled near had been drawn.
    Array.prototype.forEach.call(document.querySelectorAll(".ll-chart[data-idx]"), render);
  }

  var closed = [];
  window.addEventListener("beforeprint", function () {
    drawAll();
    // The lab's detail sections folded away on screen are printed open, and folded again after.
    closed = Array.prototype.filter.call(document.querySelectorAll("details.ll-notes"), function (e) {
      return !e.open;
    });
    closed.forEach(function (e) { e.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (e) { e.open = false; });
    closed = [];
  });

  function setupCharts() {
    var els = Array.prototype.slice.call(document.querySelectorAll(".ll-chart[data-idx]"));
    if (!els.length) return Promise.resolve();
    if (!("IntersectionObserver" in window)) {
      els.forEach(render);
      return Promise.resolve();
    }
    // Those on the first screen now, before the page's load event: a screenshot taken then (headless Chromium's
    // --screenshot) showed empty boxes, the observer's first call coming a frame later.
    // Measured on each run's box, not in it (a box off screen skips its content's layout: asking the chart's own
    // place laid out all 1,000 runs of a big report, 1.7 s to ready became 25 s), and in page order, so the loop
    // stops at the first run below the screen.
    var view = window.innerHeight || document.documentElement.clientHeight;
    for (var k = 0; k < els.length; k++) {
      var r = (els[k].closest(".ll-run") || els[k]).getBoundingClientRect();
      if (r.top >= view + 600) break;
      if (r.bottom > -600) render(els[k]);
    }
    return new Promise(function (resolve) {
      var first = true;
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) {
          if (e.isIntersecting) { render(e.target); io.unobserve(e.target); }
        });
        if (first) { first = false; resolve(); }
      }, { rootMargin: "600px 0px" });
      els.forEach(function (el) { io.observe(el); });
    });
  }

  // ---- a sweep's curves on one chart (the overview's; see sweep_payload) ----------------------
  var sweepLive = [];
  function sweepChart() {
    var el = document.getElementById("ll-sweep-chart"), src = document.getElementById("ll-sweep-data");
    if (!el || !src) return null;
    var d = JSON.parse(src.textContent), hover = document.getElementById("ll-sweep-hover");
    el.textContent = "";
    var o = baseOpts(Math.max(320, el.clientWidth || 640), 300, "ll-sweep", d.axis, true);
    o.axes[1].label = d.metric;
    o.cursor.sync = undefined;
    // The best run drawn last, on top (uPlot paints in series order: in the overview's order the runs after it
    // painted over its line); its legend row is put back in the overview's order once the chart exists.
    var best = -1, runs = [];
    d.runs.forEach(function (r, k) { if (r.best) best = k; else runs.push(r); });
    if (best >= 0) runs.push(d.runs[best]);
    var data = [d.x];
    runs.forEach(function (r) {
      data.push(r.y);
      o.series.push({ label: r.label + (r.best ? " (best)" : ""), stroke: r.color,
                      width: r.best ? 3.2 : 1.4, spanGaps: true, points: { show: false },
                      value: function (u, v) { return fmt(v); } });
    });
    o.hooks = {
      setCursor: [function (u) {
        // The run nearest the cursor, by name: twenty lines of one colour family read apart only this way.
        var i = u.cursor.idx, top = u.cursor.top, near = null, dist = Infinity;
        if (i == null || top == null || top < 0) { if (hover) hover.textContent = "\u00a0"; return; }
        runs.forEach(function (r, k) {
          var v = null;
          for (var j = i; j >= 0 && v == null; j--) v = r.y[j];  // a run logged on other points: its last before
          if (v == null || !u.series[k + 1].show) return;
          var dy = Math.abs(u.valToPos(v, "y") - top);
          if (dy < dist) { dist = dy; near = { r: r, v: v }; }
        });
        if (hover) hover.textContent = near ? near.r.name + (near.r.best ? " (best)" : "") + ": " + fmt(near.v) +
          " at " + d.axis + " " + fmt(d.x[i]) : "\u00a0";
        window.losslensReport.sweepHover = near ? near.r.name : null;
      }]
    };
    logAxis(o, d.logy);
    cutAt(o, d.ymax);  // a run that blew up leaves at the top (sweep_payload)
    var u = new uPlot(o, data, el);
    var rows = u.root.querySelectorAll(".u-legend tr.u-series");  // [the axis, then one per series]
    if (best >= 0 && best < d.runs.length - 1 && rows.length === runs.length + 1) {
      // (before the row of the run that follows it in the overview: rows[best + 1], as the best was taken out)
      rows[0].parentNode.insertBefore(rows[rows.length - 1], rows[best + 1]);
    }
    sweepLive.push({ el: el, u: u });  // (not in charts: those are the runs' own, one group each)
    window.losslensReport.sweep = u;
    return u;
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      live.concat(sweepLive).forEach(function (c) {
        var w = Math.max(320, c.el.clientWidth);
        if (Math.abs(w - c.u.width) > 2) c.u.setSize({ width: w, height: c.u.height });
      });
    }, 150);
  });

  // ---- overview table -----------------------------------------------------------------------
  function setupTable() {
    var table = document.getElementById("ll-overview");
    if (!table) return 0;
    var tbody = table.tBodies[0];
    var heads = table.querySelectorAll("th[data-key]");
    Array.prototype.forEach.call(heads, function (th) {
      th.addEventListener("click", function () {
        var key = th.getAttribute("data-key"), numeric = th.getAttribute("data-type") === "num";
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var va = a.getAttribute("data-" + key), vb = b.getAttribute("data-" + key);
          if (numeric) {
            var na = va === "" ? NaN : +va, nb = vb === "" ? NaN : +vb;
            if (isNaN(na) && isNaN(nb)) return 0;
            if (isNaN(na)) return 1;   // missing values last, whatever the direction
            if (isNaN(nb)) return -1;
            return dir * (na - nb);
          }
          return dir * va.localeCompare(vb);
        });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        tbody.appendChild(frag);
      });
    });
    var filter = document.getElementById("ll-filter");
    var verdict = document.getElementById("ll-verdict");
    function apply() {
      var q = filter ? filter.value.toLowerCase() : "";
      var v = verdict ? verdict.value : "";
      var shown = 0;
      Array.prototype.forEach.call(tbody.rows, function (r) {
        var ok = (!q || r.getAttribute("data-name").toLowerCase().indexOf(q) >= 0) &&
                 (!v || r.getAttribute("data-verdict") === v);
        r.hidden = !ok;
        if (ok) shown += 1;
      });
      var count = document.getElementById("ll-count");
      if (count) count.textContent = shown + " of " + tbody.rows.length + " runs";
    }
    if (filter) filter.addEventListener("input", apply);
    if (verdict) verdict.addEventListener("change", apply);
    return tbody.rows.length;
  }

  function start() {
    var rows = setupTable();
    sweepChart();
    setupCharts().then(function () {
      var t = Math.round(performance.now());
      if (status && status.getAttribute("data-state") !== "error") {
        status.setAttribute("data-ready-ms", String(t));
        setStatus("ok", "ok: " + drawn + " charts drawn, " + rows + " overview rows, ready in " + t + " ms");
      }
    }).catch(function (err) { setStatus("error", "error: " + err); });
  }

  if (typeof uPlot === "undefined") {
    setStatus("error", "error: chart library missing");
    return;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
