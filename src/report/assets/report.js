// modelgit report: paged, sortable, filterable tables and uPlot charts over data embedded in the
// page. Runs from file:// with no network. Text from the registry is only ever set with
// textContent, never parsed as HTML.
(function () {
  'use strict';

  var charts = (window.modelgitCharts = {});

  function el(tag, props, children) {
    var e = document.createElement(tag);
    if (props) {
      for (var k in props) {
        if (k === 'text') e.textContent = props[k];
        else if (k === 'class') e.className = props[k];
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), props[k]);
        else e.setAttribute(k, props[k]);
      }
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function readData(id) {
    var s = document.getElementById(id);
    return s ? JSON.parse(s.textContent) : null;
  }

  function isNum(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function fmt(n) {
    if (!isNum(n)) return '—';
    if (Number.isInteger(n)) return String(n);
    var a = Math.abs(n);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? n.toExponential(3) : String(Number(n.toPrecision(6)));
  }

  function fmtDate(iso) {
    if (!iso) return '';
    var t = Date.parse(iso);
    return isNaN(t) ? iso : new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  }

  // Same as fileSlug in src/report/html.ts.
  function slug(name) {
    return name.replace(/[A-Z]/g, function (c) {
      return '~' + c.toLowerCase();
    });
  }

  function message(box, text, cls) {
    clear(box);
    box.appendChild(el('p', { class: cls || 'empty', text: text }));
  }

  // ---- tables ---------------------------------------------------------------------------------

  // columns: {key, label, title, value(row) for sorting, cell(row) → Node|string, dir: 'min'|'max'|null,
  //           firstDesc (dates: newest first)}
  function DataTable(root, cfg) {
    this.root = root;
    this.cfg = cfg;
    this.page = 0;
    this.pageSize = cfg.pageSize || 25;
    this.sortKey = cfg.sort.key;
    this.sortDesc = cfg.sort.desc;
    this.filters = {};
    this.query = '';
    this.build();
    this.update();
  }

  DataTable.prototype.column = function (key) {
    return this.cfg.columns.filter(function (c) {
      return c.key === key;
    })[0];
  };

  DataTable.prototype.build = function () {
    var self = this;
    var bar = el('div', { class: 'table-controls' });
    bar.appendChild(
      el('label', null, [
        'Find ',
        el('input', {
          type: 'search',
          placeholder: 'model id',
          'data-filter': 'search',
          oninput: function (ev) {
            self.query = ev.target.value.trim().toLowerCase();
            self.page = 0;
            self.update();
          },
        }),
      ]),
    );
    (this.cfg.filters || []).forEach(function (f) {
      var values = {};
      self.cfg.rows.forEach(function (r) {
        f.values(r).forEach(function (v) {
          values[v] = true;
        });
      });
      var names = Object.keys(values).sort();
      if (names.length === 0) return;
      var select = el('select', {
        'data-filter': f.key,
        onchange: function (ev) {
          self.filters[f.key] = ev.target.value;
          self.page = 0;
          self.update();
        },
      });
      select.appendChild(el('option', { value: '', text: 'all' }));
      names.forEach(function (n) {
        select.appendChild(el('option', { value: n, text: n }));
      });
      bar.appendChild(el('label', null, [f.label + ' ', select]));
    });
    this.status = el('span', { class: 'status', 'aria-live': 'polite' });
    bar.appendChild(this.status);
    this.root.appendChild(bar);

    this.headRow = el('tr');
    this.cfg.columns.forEach(function (c) {
      var th = el('th', { 'data-key': c.key, title: c.title || '' });
      if (c.value) {
        th.appendChild(
          el('button', {
            type: 'button',
            class: 'sort',
            text: c.label,
            onclick: function () {
              self.sortBy(c.key, true);
            },
          }),
        );
      } else {
        th.textContent = c.label;
      }
      if (c.num) th.className = 'num';
      self.headRow.appendChild(th);
    });
    this.body = el('tbody');
    this.root.appendChild(el('div', { class: 'scroll' }, [el('table', { class: 'data' }, [el('thead', null, [this.headRow]), this.body])]));

    this.prev = el('button', { type: 'button', text: '← previous', 'data-page': 'prev', onclick: function () { self.go(-1); } });
    this.next = el('button', { type: 'button', text: 'next →', 'data-page': 'next', onclick: function () { self.go(1); } });
    this.pageInfo = el('span', { class: 'page-info' });
    this.root.appendChild(el('div', { class: 'pager' }, [this.prev, this.pageInfo, this.next]));
  };

  /** Best first for a metric (its direction), newest first for dates; a second click reverses. */
  DataTable.prototype.sortBy = function (key, toggle) {
    var c = this.column(key);
    var natural = c.dir === 'max' || !!c.firstDesc;
    if (toggle && this.sortKey === key) this.sortDesc = !this.sortDesc;
    else this.sortDesc = natural;
    this.sortKey = key;
    this.page = 0;
    this.update();
  };

  DataTable.prototype.go = function (delta) {
    this.page += delta;
    this.update();
  };

  DataTable.prototype.visibleRows = function () {
    var self = this;
    var rows = this.cfg.rows.filter(function (r) {
      if (self.query && r.id.toLowerCase().indexOf(self.query) < 0) return false;
      return (self.cfg.filters || []).every(function (f) {
        var want = self.filters[f.key];
        return !want || f.values(r).indexOf(want) >= 0;
      });
    });
    var col = this.column(this.sortKey);
    var sign = this.sortDesc ? -1 : 1;
    var tie = this.cfg.tie;
    rows.sort(function (a, b) {
      var x = col.value(a);
      var y = col.value(b);
      var xm = x === null || x === undefined || x === '';
      var ym = y === null || y === undefined || y === '';
      if (xm || ym) return xm === ym ? tie(a, b) : xm ? 1 : -1; // missing values always last
      if (x < y) return -sign;
      if (x > y) return sign;
      return tie(a, b);
    });
    return rows;
  };

  DataTable.prototype.update = function () {
    var self = this;
    var rows = this.visibleRows();
    var pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    var start = this.page * this.pageSize;
    var shown = rows.slice(start, start + this.pageSize);
    clear(this.body);
    if (shown.length === 0) {
      this.body.appendChild(el('tr', { class: 'none' }, [el('td', { colspan: String(this.cfg.columns.length), text: 'No model matches these filters.' })]));
    }
    shown.forEach(function (r, i) {
      var tr = el('tr', { 'data-id': r.id });
      if (self.cfg.rowClass) {
        var cls = self.cfg.rowClass(r);
        if (cls) tr.className = cls;
      }
      self.cfg.columns.forEach(function (c) {
        var v = c.cell(r, start + i);
        var td = el('td', c.num ? { class: 'num' } : null);
        if (c.cellClass) {
          var cc = c.cellClass(r);
          if (cc) td.className = (td.className ? td.className + ' ' : '') + cc;
        }
        if (typeof v === 'string') td.textContent = v;
        else if (v) td.appendChild(v);
        tr.appendChild(td);
      });
      self.body.appendChild(tr);
    });
    Array.prototype.forEach.call(this.headRow.children, function (th) {
      var on = th.getAttribute('data-key') === self.sortKey;
      if (on) th.setAttribute('aria-sort', self.sortDesc ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
    var total = this.cfg.rows.length;
    this.status.textContent =
      (rows.length ? 'showing ' + (start + 1) + '–' + (start + shown.length) + ' of ' + rows.length : 'showing 0') +
      (rows.length < total ? ' (filtered from ' + total + ')' : '');
    this.pageInfo.textContent = 'page ' + (this.page + 1) + ' of ' + pages;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    this.root.setAttribute('data-rows', String(rows.length));
  };

  function idTie(a, b) {
    return (a.trained_at || '').localeCompare(b.trained_at || '') || a.id.localeCompare(b.id);
  }

  function tagList(tags) {
    var span = el('span');
    tags.forEach(function (t) {
      span.appendChild(el('span', { class: 'tag', text: t }));
      span.appendChild(document.createTextNode(' '));
    });
    return span;
  }

  // ---- pages ----------------------------------------------------------------------------------

  function leaderboardPage(data) {
    var root = document.querySelector('[data-table="leaderboard"]');
    if (data.rows.length === 0) {
      message(root, 'No results on this dataset yet.');
      return null;
    }
    var bestOf = {};
    data.metrics.forEach(function (m) {
      bestOf[m.name] = m.best;
    });
    var table;
    function modelCell(r) {
      var a = el('a', { class: 'model', href: data.modelBase + encodeURIComponent(r.id) + '.html', text: r.id });
      var metric = table && table.column(table.sortKey).metric ? table.sortKey : data.defaultMetric;
      var wrap = el('span', null, [a]);
      if (metric && bestOf[metric] === r.id) wrap.appendChild(el('span', { class: 'badge best', text: 'best ' + metric }));
      return wrap;
    }
    var columns = [
      { key: '#', label: '#', num: true, cell: function (r, i) { return String(i + 1); } },
      { key: 'id', label: 'Model', value: function (r) { return r.id; }, cell: modelCell },
      { key: 'trained_on', label: 'Trained on', value: function (r) { return r.trained_on; }, cell: function (r) { return r.trained_on || '—'; } },
      { key: 'tags', label: 'Tags', cell: function (r) { return tagList(r.tags); } },
      { key: 'training_time', label: 'Training time (s)', num: true, value: function (r) { return r.training_time; }, cell: function (r) { return fmt(r.training_time); } },
    ];
    data.metrics.forEach(function (m) {
      columns.push({
        key: m.name,
        metric: true,
        label: m.name + (m.direction === 'min' ? ' ↓' : m.direction === 'max' ? ' ↑' : ''),
        title: m.direction === 'min' ? 'lower is better' : m.direction === 'max' ? 'higher is better' : 'direction unknown: set metrics.' + m.name + '.direction in modelgit.yaml',
        num: true,
        dir: m.direction,
        value: function (r) { return r.v[m.name]; },
        cell: function (r) { return fmt(r.v[m.name]); },
        cellClass: function (r) { return m.best === r.id ? 'best' : ''; },
      });
    });
    columns.push({ key: 'tested_at', label: 'Tested', firstDesc: true, value: function (r) { return r.tested_at; }, cell: function (r) { return el('span', { class: 'date', text: fmtDate(r.tested_at) }); } });
    var sortKey = data.defaultMetric || 'id';
    var sortCol = columns.filter(function (c) { return c.key === sortKey; })[0];
    table = new DataTable(root, {
      columns: columns,
      rows: data.rows,
      sort: { key: sortKey, desc: sortCol.dir === 'max' },
      tie: idTie,
      filters: [
        { key: 'tag', label: 'Tag', values: function (r) { return r.tags; } },
        { key: 'trained_on', label: 'Trained on', values: function (r) { return [r.trained_on || '(none)']; } },
      ],
    });
    return table;
  }

  function modelsPage(data) {
    var root = document.querySelector('[data-table="models"]');
    new DataTable(root, {
      columns: [
        { key: 'id', label: 'Model', value: function (r) { return r.id; }, cell: function (r) {
          return el('a', { class: 'model', href: data.base + 'm/' + data.algorithm + '/' + encodeURIComponent(r.id) + '.html', text: r.id });
        } },
        { key: 'trained_at', label: 'Trained', firstDesc: true, value: function (r) { return r.trained_at; }, cell: function (r) { return el('span', { class: 'date', text: fmtDate(r.trained_at) }); } },
        { key: 'trained_on', label: 'Trained on', value: function (r) { return r.trained_on; }, cell: function (r) { return r.trained_on || '—'; } },
        { key: 'tags', label: 'Tags', cell: function (r) { return tagList(r.tags); } },
        { key: 'results', label: 'Results', num: true, value: function (r) { return r.results; }, cell: function (r) { return String(r.results); } },
        { key: 'datasets', label: 'Tested on', cell: function (r) {
          var span = el('span');
          r.datasets.forEach(function (d) {
            span.appendChild(el('a', { href: data.base + 'a/' + data.algorithm + '/d/' + encodeURIComponent(slug(d)) + '.html', text: d }));
            span.appendChild(document.createTextNode(' '));
          });
          return span;
        } },
        { key: 'stages', label: 'Stages', cell: function (r) { return r.stages.join(', '); } },
      ],
      rows: data.rows,
      sort: { key: 'trained_at', desc: true },
      tie: idTie,
      filters: [
        { key: 'tag', label: 'Tag', values: function (r) { return r.tags; } },
        { key: 'trained_on', label: 'Trained on', values: function (r) { return [r.trained_on || '(none)']; } },
      ],
    });
  }

  // ---- charts ---------------------------------------------------------------------------------

  function chartWidth(box) {
    return Math.max(320, Math.min(box.clientWidth || 900, 1100));
  }

  // keeps points off the plot's edges, and gives a single value a visible range
  function padRange(u, min, max) {
    if (min === null || max === null) return [0, 1];
    if (min === max) {
      var d = Math.abs(min) * 0.1 || 1;
      return [min - d, max + d];
    }
    var p = (max - min) * 0.06;
    return [min - p, max + p];
  }

  // axes in the page's own colours, so the charts read in dark mode too
  function axis(label) {
    var cs = getComputedStyle(document.body);
    var line = cs.getPropertyValue('--line').trim() || '#e3e6ee';
    var a = { stroke: cs.color, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    if (label) a.label = label;
    return a;
  }

  function caption(box) {
    var c = el('div', { class: 'chart-caption', 'aria-live': 'polite' });
    box.appendChild(c);
    return c;
  }

  function drawBest(data, metric) {
    var box = document.getElementById('best-chart');
    var list = document.getElementById('best-steps');
    if (charts.best) charts.best.destroy();
    charts.best = null;
    clear(box);
    clear(list);
    box.removeAttribute('data-steps');
    var col = data.metrics.filter(function (m) { return m.name === metric; })[0];
    if (!col) return message(box, 'No results on this dataset yet, so there is no best to follow.');
    if (!col.direction) {
      return message(box, 'Which ' + metric + ' is better is unknown, so no best can be named. Set metrics.' + metric + '.direction (min or max) in modelgit.yaml.');
    }
    var s = data.series[metric];
    if (!s || s.steps.length === 0) return message(box, 'No ' + metric + ' results in the history yet.');
    var steps = s.steps;
    box.setAttribute('data-steps', String(steps.length));
    var xs = steps.map(function (p) { return p.time; });
    var ys = steps.map(function (p) { return p.value; });
    var last = steps[steps.length - 1];
    // carry the last value to HEAD so the current best's reign is visible
    if (data.endTime > last.time) {
      xs.push(data.endTime);
      ys.push(last.value);
    }
    var cap = caption(box);
    function describe(i) {
      var p = steps[Math.min(i, steps.length - 1)];
      cap.textContent = p.model_id ? p.model_id + ' — ' + metric + ' ' + fmt(p.value) + ' since ' + fmtDate(p.date) : 'no result since ' + fmtDate(p.date);
    }
    describe(steps.length - 1);
    var u = new uPlot(
      {
        width: chartWidth(box),
        height: 280,
        scales: { x: { time: true }, y: { range: padRange } },
        series: [
          { label: 'commit time' },
          {
            label: 'best ' + metric + (col.direction === 'min' ? ' (lower is better)' : ' (higher is better)'),
            stroke: '#2463eb',
            width: 2,
            paths: uPlot.paths.stepped({ align: 1 }),
            points: { show: true, size: 7 },
            value: function (u, v) { return fmt(v); },
          },
        ],
        axes: [axis(), axis(metric)],
        hooks: {
          setCursor: [
            function (u) {
              if (u.cursor.idx !== null && u.cursor.idx !== undefined) describe(u.cursor.idx);
            },
          ],
        },
      },
      [xs, ys],
      box,
    );
    charts.best = u;

    var rows = steps.map(function (p, i) {
      var prev = i > 0 ? steps[i - 1].value : null;
      var delta = isNum(prev) && isNum(p.value) ? p.value - prev : null;
      return el('tr', null, [
        el('td', { class: 'num', text: String(i + 1) }),
        el('td', { text: fmtDate(p.date) }),
        el('td', null, [p.model_id ? el('a', { class: 'model', href: data.modelBase + encodeURIComponent(p.model_id) + '.html', text: p.model_id }) : el('span', { class: 'muted', text: 'no result' })]),
        el('td', { class: 'num', text: fmt(p.value) }),
        el('td', { class: 'num', text: delta === null ? '' : (delta > 0 ? '+' : '') + fmt(delta) }),
        el('td', null, [el('code', { title: p.commit, text: p.commit.slice(0, 8) })]),
      ]);
    });
    var head = el('tr', null, ['#', 'Since', 'Best model', metric, 'Change', 'Commit'].map(function (h) { return el('th', { text: h }); }));
    list.appendChild(el('table', { class: 'steps' }, [el('thead', null, [head]), el('tbody', null, rows)]));
    if (steps.length === 1) list.appendChild(el('p', { class: 'note', text: 'One best so far: the chart steps each time a commit changes the best.' }));
  }

  function drawScatter(data, metric, xKey) {
    var box = document.getElementById('scatter-chart');
    if (charts.scatter) charts.scatter.destroy();
    charts.scatter = null;
    clear(box);
    box.removeAttribute('data-points');
    var xLabel = xKey === 'training_time' ? 'training time (s)' : xKey.slice(3);
    if (!metric) return message(box, 'No results on this dataset yet, so there is nothing to plot.');
    function xOf(r) {
      return xKey === 'training_time' ? r.training_time : r.hp[xKey.slice(3)];
    }
    var pts = data.rows
      .filter(function (r) { return isNum(xOf(r)) && isNum(r.v[metric]); })
      .sort(function (a, b) { return xOf(a) - xOf(b) || a.id.localeCompare(b.id); });
    box.setAttribute('data-points', String(pts.length));
    if (pts.length === 0) {
      return message(box, 'No model here has both ' + xLabel + ' and ' + metric + ' recorded. ' + (xKey === 'training_time' ? 'register --training-time records it.' : ''));
    }
    var cap = caption(box);
    function describe(i) {
      var r = pts[i];
      cap.textContent = r.id + ': ' + xLabel + ' ' + fmt(xOf(r)) + ', ' + metric + ' ' + fmt(r.v[metric]);
    }
    if (pts.length < data.rows.length) {
      box.appendChild(el('p', { class: 'note', text: pts.length + ' of ' + data.rows.length + ' models have both ' + xLabel + ' and ' + metric + '.' }));
    }
    var u = new uPlot(
      {
        width: chartWidth(box),
        height: 280,
        scales: { x: { time: false, range: padRange }, y: { range: padRange } },
        series: [
          { label: xLabel, value: function (u, v) { return fmt(v); } },
          {
            label: metric,
            stroke: '#c2410c',
            fill: 'rgba(194,65,12,0.35)',
            paths: function () { return null; },
            points: { show: true, size: 8, width: 1 },
            value: function (u, v) { return fmt(v); },
          },
        ],
        axes: [axis(xLabel), axis(metric)],
        cursor: { drag: { x: true, y: true } },
        hooks: {
          setCursor: [
            function (u) {
              if (u.cursor.idx !== null && u.cursor.idx !== undefined) describe(u.cursor.idx);
            },
          ],
        },
      },
      [pts.map(xOf), pts.map(function (r) { return r.v[metric]; })],
      box,
    );
    charts.scatter = u;
  }

  function datasetPage() {
    var data = readData('report-data');
    if (!data) return;
    var table = leaderboardPage(data);
    var metricSel = document.getElementById('metric');
    var xSel = document.getElementById('scatter-x');
    function redraw() {
      drawBest(data, metricSel.value || data.defaultMetric);
      drawScatter(data, metricSel.value || data.defaultMetric, xSel.value);
    }
    metricSel.addEventListener('change', function () {
      if (table && metricSel.value) table.sortBy(metricSel.value, false);
      redraw();
    });
    xSel.addEventListener('change', function () {
      drawScatter(data, metricSel.value || data.defaultMetric, xSel.value);
    });
    redraw();
    var resizeTimer = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        ['best', 'scatter'].forEach(function (k) {
          var u = charts[k];
          if (u) u.setSize({ width: chartWidth(u.root.parentNode), height: 280 });
        });
      }, 150);
    });
  }

  function start() {
    if (document.getElementById('report-data')) datasetPage();
    var models = readData('models-data');
    if (models) modelsPage(models);
    document.documentElement.setAttribute('data-ready', 'true');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
