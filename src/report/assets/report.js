// modelgit report: paged, sortable, filterable tables, the compare view and uPlot charts over data
// embedded in the page. Runs from file:// with no network. Text from the registry is only ever set
// with textContent, never parsed as HTML. A view's state (sort, filters, page, columns, selection,
// chart options) lives in the URL's fragment, so a link reopens the same view and back/forward
// step through it; the fragment is used, not the query, because it never reloads the page.
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

  // [min, max] by a loop: Math.min.apply overflows the stack on a few hundred thousand values
  function extent(values) {
    var lo = Infinity;
    var hi = -Infinity;
    for (var i = 0; i < values.length; i++) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
    return [lo, hi];
  }

  function fmt(n) {
    if (!isNum(n)) return '—';
    if (Number.isInteger(n)) return String(n);
    var a = Math.abs(n);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? n.toExponential(3) : String(Number(n.toPrecision(6)));
  }

  // every date in the report is UTC, and says so where it is shown
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

  // ---- URL state --------------------------------------------------------------------------------

  // The fragment holds the view as URLSearchParams. A discrete action (a click, a choice) adds a
  // history entry; typing replaces the current one, so back does not replay every keystroke.
  var urlState = {
    written: null,
    read: function () {
      return new URLSearchParams(location.hash.replace(/^#/, ''));
    },
    write: function (params, push) {
      var text = params.toString();
      if (text === location.hash.replace(/^#/, '')) return;
      this.written = text;
      if (push) location.hash = text;
      else location.replace('#' + text);
    },
    // calls fn with the new state when the fragment changes by back/forward or a pasted link
    listen: function (fn) {
      var self = this;
      window.addEventListener('hashchange', function () {
        var now = location.hash.replace(/^#/, '');
        if (now === self.written) return;
        self.written = now;
        fn(self.read());
      });
    },
  };

  function list(text) {
    return text ? text.split(',').filter(Boolean).map(decodeURIComponent) : [];
  }

  function joinList(items) {
    return items.map(encodeURIComponent).join(',');
  }

  // ---- filter expressions -----------------------------------------------------------------------

  var CONDITION = /([A-Za-z_][\w.:\-]*)\s*(<=|>=|!=|==|<|>|=)\s*("[^"]*"|[^\s,;]+)/g;

  /**
   * "total_time<=40, lr=0.01" → conditions; resolve(name) says what a name is (a metric, a
   * hyperparameter…) and how to read it from a row. Anything that is not a condition is an error,
   * so a typo never silently filters nothing.
   */
  function parseWhere(text, resolve) {
    var conds = [];
    var errors = [];
    var rest = text.replace(CONDITION, function (all, name, op, value) {
      var get = resolve(name);
      if (!get) errors.push('unknown column ' + name);
      else conds.push({ name: name, op: op === '==' ? '=' : op, value: value.replace(/^"|"$/g, ''), get: get });
      return ' ';
    });
    rest = rest.replace(/\band\b/gi, ' ').replace(/[\s,;&]+/g, ' ').trim();
    if (rest) errors.push('could not read "' + rest + '" (write name<=value, name=value…)');
    return { conds: conds, errors: errors };
  }

  function matches(cond, row) {
    var v = cond.get(row);
    if (v === null || v === undefined) return false;
    if (Array.isArray(v)) return cond.op === '!=' ? v.indexOf(cond.value) < 0 : v.indexOf(cond.value) >= 0;
    var want = Number(cond.value);
    var numeric = typeof v === 'number' && cond.value !== '' && !isNaN(want);
    var a = numeric ? v : String(v);
    var b = numeric ? want : cond.value;
    switch (cond.op) {
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      case '>=': return a >= b;
      case '!=': return a !== b;
      default: return a === b;
    }
  }

  // ---- tables ---------------------------------------------------------------------------------

  // columns: {key, label, title, value(row) for sorting, cell(row) → Node|string, dir: 'min'|'max'|null,
  //           firstDesc (dates: newest first), num, optional (the user may hide it), shown (default)}
  // Only one page of rows is ever in the DOM (25 of possibly thousands).
  function DataTable(root, cfg) {
    this.root = root;
    this.cfg = cfg;
    this.page = 0;
    this.pageSize = cfg.pageSize || 25;
    this.sortKey = cfg.sort.key;
    this.sortDesc = cfg.sort.desc;
    this.filters = {};
    this.query = '';
    this.where = '';
    this.hidden = {};
    this.selected = cfg.selectable ? {} : null;
    this.build();
    this.update();
  }

  DataTable.prototype.column = function (key) {
    return this.cfg.columns.filter(function (c) {
      return c.key === key;
    })[0];
  };

  DataTable.prototype.shownColumns = function () {
    var self = this;
    return this.cfg.columns.filter(function (c) {
      return !c.optional || !self.isHidden(c);
    });
  };

  DataTable.prototype.isHidden = function (c) {
    var h = this.hidden[c.key];
    return h === undefined ? c.shown === false : h;
  };

  DataTable.prototype.changed = function (push) {
    if (this.cfg.onChange) this.cfg.onChange(push);
  };

  DataTable.prototype.build = function () {
    var self = this;
    var bar = el('div', { class: 'table-controls' });
    this.search = el('input', {
      type: 'search',
      placeholder: 'model id',
      'data-filter': 'search',
      oninput: function (ev) {
        self.query = ev.target.value.trim().toLowerCase();
        self.page = 0;
        self.update();
        self.changed(false);
      },
    });
    bar.appendChild(el('label', null, ['Find ', this.search]));
    this.selects = {};
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
          self.changed(true);
        },
      });
      select.appendChild(el('option', { value: '', text: 'all' }));
      names.forEach(function (n) {
        select.appendChild(el('option', { value: n, text: n }));
      });
      self.selects[f.key] = select;
      bar.appendChild(el('label', null, [f.label + ' ', select]));
    });
    if (this.cfg.resolve) {
      this.whereInput = el('input', {
        type: 'text',
        class: 'where',
        placeholder: this.cfg.wherePlaceholder || 'e.g. total_time<=40, lr=0.01',
        'data-filter': 'where',
        spellcheck: 'false',
        oninput: function (ev) {
          self.where = ev.target.value;
          self.page = 0;
          self.update();
          self.changed(false);
        },
      });
      bar.appendChild(el('label', null, ['Where ', this.whereInput]));
    }
    this.status = el('span', { class: 'status', 'aria-live': 'polite' });
    bar.appendChild(this.status);
    this.root.appendChild(bar);
    this.whereError = el('p', { class: 'where-error', role: 'status', 'aria-live': 'polite' });
    this.root.appendChild(this.whereError);

    var optional = this.cfg.columns.filter(function (c) { return c.optional; });
    if (optional.length) {
      this.chooser = el('details', { class: 'columns' });
      this.chooser.appendChild(el('summary', { text: 'Columns' }));
      this.chooserBody = el('div', { class: 'column-list' });
      this.chooser.appendChild(this.chooserBody);
      this.root.appendChild(this.chooser);
    }
    if (this.selected) {
      this.selectionBar = el('div', { class: 'selection', 'aria-live': 'polite' });
      this.root.appendChild(this.selectionBar);
    }

    this.headRow = el('tr');
    this.body = el('tbody');
    this.root.appendChild(el('div', { class: 'scroll' }, [el('table', { class: 'data' }, [el('thead', null, [this.headRow]), this.body])]));

    this.prev = el('button', { type: 'button', text: '← previous', 'data-page': 'prev', onclick: function () { self.go(-1); } });
    this.next = el('button', { type: 'button', text: 'next →', 'data-page': 'next', onclick: function () { self.go(1); } });
    this.pageInfo = el('span', { class: 'page-info' });
    this.root.appendChild(el('div', { class: 'pager' }, [this.prev, this.pageInfo, this.next]));
    this.renderHead();
  };

  /** The header and the column chooser, for the columns as they are now (their order can change). */
  DataTable.prototype.renderHead = function () {
    var self = this;
    clear(this.headRow);
    if (this.selected) this.headRow.appendChild(el('th', { class: 'pick' }, [el('span', { class: 'sr-only', text: 'Select to compare' })]));
    this.shownColumns().forEach(function (c) {
      var th = el('th', { 'data-key': c.key, title: c.title || '' });
      if (c.value) {
        th.appendChild(
          el('button', {
            type: 'button',
            class: 'sort',
            text: c.label,
            onclick: function () {
              self.sortBy(c.key, true);
              self.changed(true);
            },
          }),
        );
      } else {
        th.textContent = c.label;
      }
      if (c.num) th.className = 'num';
      self.headRow.appendChild(th);
    });
    if (this.chooserBody) {
      clear(this.chooserBody);
      this.cfg.columns.forEach(function (c) {
        if (!c.optional) return;
        var box = el('input', {
          type: 'checkbox',
          'data-column': c.key,
          onchange: function (ev) {
            self.hidden[c.key] = !ev.target.checked;
            self.renderHead();
            self.update();
            self.changed(true);
          },
        });
        box.checked = !self.isHidden(c);
        self.chooserBody.appendChild(el('label', null, [box, ' ' + (c.chooserLabel || c.label)]));
      });
    }
  };

  DataTable.prototype.setColumns = function (columns) {
    this.cfg.columns = columns;
    if (!this.column(this.sortKey)) this.sortKey = columns.filter(function (c) { return c.value; })[0].key;
    this.renderHead();
    this.update();
  };

  /** Best first for a metric (its direction), newest first for dates; a second click reverses. */
  DataTable.prototype.sortBy = function (key, toggle) {
    var c = this.column(key);
    if (!c) return;
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
    this.changed(true);
  };

  DataTable.prototype.visibleRows = function () {
    var self = this;
    var where = this.cfg.resolve && this.where.trim() ? parseWhere(this.where, this.cfg.resolve) : { conds: [], errors: [] };
    this.whereError.textContent = where.errors.length ? 'Ignored: ' + where.errors.join('; ') + '.' : '';
    var rows = this.cfg.rows.filter(function (r) {
      if (self.query && r.id.toLowerCase().indexOf(self.query) < 0) return false;
      for (var i = 0; i < where.conds.length; i++) if (!matches(where.conds[i], r)) return false;
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
      if (typeof x !== typeof y) {
        x = String(x);
        y = String(y);
      }
      if (x < y) return -sign;
      if (x > y) return sign;
      return tie(a, b);
    });
    return rows;
  };

  DataTable.prototype.toggle = function (id, on) {
    if (on) this.selected[id] = true;
    else delete this.selected[id];
    this.renderSelection();
    this.changed(true);
  };

  DataTable.prototype.selection = function () {
    return this.selected ? Object.keys(this.selected) : [];
  };

  DataTable.prototype.renderSelection = function () {
    if (!this.selectionBar) return;
    var self = this;
    var ids = this.selection();
    clear(this.selectionBar);
    if (ids.length === 0) {
      this.selectionBar.appendChild(el('span', { class: 'muted', text: 'Tick models to compare them side by side.' }));
      return;
    }
    this.selectionBar.appendChild(el('a', { class: 'compare-selected', href: this.cfg.compareHref(ids), text: 'Compare ' + ids.length + ' selected' }));
    this.selectionBar.appendChild(el('span', { class: 'muted', text: ' ' + ids.join(', ') + ' ' }));
    this.selectionBar.appendChild(
      el('button', {
        type: 'button',
        class: 'clear-selection',
        text: 'clear',
        onclick: function () {
          self.selected = {};
          self.renderSelection();
          self.update();
          self.changed(true);
        },
      }),
    );
  };

  DataTable.prototype.update = function () {
    var self = this;
    var rows = this.visibleRows();
    var pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    var start = this.page * this.pageSize;
    var shown = rows.slice(start, start + this.pageSize);
    var columns = this.shownColumns();
    clear(this.body);
    if (shown.length === 0) {
      this.body.appendChild(el('tr', { class: 'none' }, [el('td', { colspan: String(columns.length + (this.selected ? 1 : 0)), text: 'No model matches these filters.' })]));
    }
    shown.forEach(function (r, i) {
      var tr = el('tr', { 'data-id': r.id });
      if (self.cfg.rowClass) {
        var cls = self.cfg.rowClass(r);
        if (cls) tr.className = cls;
      }
      if (self.selected) {
        var box = el('input', {
          type: 'checkbox',
          'aria-label': 'select ' + r.id + ' to compare',
          onchange: function (ev) {
            self.toggle(r.id, ev.target.checked);
          },
        });
        box.checked = !!self.selected[r.id];
        tr.appendChild(el('td', { class: 'pick' }, [box]));
      }
      columns.forEach(function (c) {
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
    this.renderSelection();
  };

  /** The table's view as URL parameters (only what differs from the default). */
  DataTable.prototype.saveState = function (params) {
    var self = this;
    var c = this.column(this.sortKey);
    var natural = c && (c.dir === 'max' || !!c.firstDesc);
    if (this.sortKey !== this.cfg.sort.key || this.sortDesc !== this.cfg.sort.desc) {
      params.set('sort', this.sortKey);
      if (this.sortDesc !== natural) params.set('desc', this.sortDesc ? '1' : '0');
    }
    if (this.query) params.set('q', this.query);
    if (this.where.trim()) params.set('where', this.where.trim());
    Object.keys(this.filters).forEach(function (k) {
      if (self.filters[k]) params.set(k, self.filters[k]);
    });
    if (this.page) params.set('page', String(this.page + 1));
    var optional = this.cfg.columns.filter(function (col) { return col.optional; });
    var differs = optional.some(function (col) { return self.isHidden(col) !== (col.shown === false); });
    if (differs) params.set('cols', joinList(optional.filter(function (col) { return !self.isHidden(col); }).map(function (col) { return col.key; })));
    var sel = this.selection();
    if (sel.length) params.set('sel', joinList(sel));
  };

  /** Restores a view saved by saveState (and resets whatever the parameters leave out). */
  DataTable.prototype.loadState = function (params) {
    var self = this;
    var key = params.get('sort');
    if (key && this.column(key)) {
      var c = this.column(key);
      this.sortKey = key;
      var natural = c.dir === 'max' || !!c.firstDesc;
      this.sortDesc = params.has('desc') ? params.get('desc') === '1' : natural;
    } else {
      this.sortKey = this.cfg.sort.key;
      this.sortDesc = this.cfg.sort.desc;
    }
    this.query = (params.get('q') || '').toLowerCase();
    this.search.value = this.query;
    this.where = params.get('where') || '';
    if (this.whereInput) this.whereInput.value = this.where;
    this.filters = {};
    Object.keys(this.selects).forEach(function (k) {
      var v = params.get(k) || '';
      var ok = Array.prototype.some.call(self.selects[k].options, function (o) { return o.value === v; });
      self.filters[k] = ok ? v : '';
      self.selects[k].value = self.filters[k];
    });
    this.hidden = {};
    if (params.has('cols')) {
      var on = {};
      list(params.get('cols')).forEach(function (k) { on[k] = true; });
      this.cfg.columns.forEach(function (col) {
        if (col.optional) self.hidden[col.key] = !on[col.key];
      });
    }
    if (this.selected) {
      this.selected = {};
      list(params.get('sel')).forEach(function (id) { self.selected[id] = true; });
    }
    this.renderHead();
    this.page = 0;
    this.update();
    var page = Number(params.get('page'));
    if (page > 1) {
      this.page = page - 1;
      this.update();
    }
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

  function paramText(v) {
    return v === undefined || v === null ? '—' : typeof v === 'number' ? fmt(v) : String(v);
  }

  function dirWord(d) {
    return d === 'min' ? 'lower is better' : d === 'max' ? 'higher is better' : 'direction unknown';
  }

  // ---- pages ----------------------------------------------------------------------------------

  /** Rank of every model by a metric, as `best` ranks: better value, trained first, smaller id. */
  function ranking(data, metric) {
    var col = data.metrics.filter(function (m) { return m.name === metric; })[0];
    var ranks = {};
    if (!col || !col.direction) return ranks;
    var sign = col.direction === 'max' ? -1 : 1;
    data.rows
      .filter(function (r) { return isNum(r.v[metric]); })
      .sort(function (a, b) {
        var d = (a.v[metric] - b.v[metric]) * sign;
        return d < 0 ? -1 : d > 0 ? 1 : idTie(a, b);
      })
      .forEach(function (r, i) {
        ranks[r.id] = i + 1;
      });
    return ranks;
  }

  function leaderboardPage(data, metricSel) {
    var root = document.querySelector('[data-table="leaderboard"]');
    if (data.rows.length === 0) {
      message(root, 'No results on this dataset yet.');
      return null;
    }
    var bestOf = {};
    data.metrics.forEach(function (m) {
      bestOf[m.name] = m.best;
    });
    var holderOf = {};
    Object.keys(data.stages || {}).forEach(function (stage) {
      (holderOf[data.stages[stage]] = holderOf[data.stages[stage]] || []).push(stage);
    });
    var table;
    var ranks = {};
    var rankMetric = null;

    function modelCell(r) {
      var a = el('a', { class: 'model', href: data.modelBase + encodeURIComponent(r.id) + '.html', text: r.id });
      var metric = table && table.column(table.sortKey) && table.column(table.sortKey).metric ? table.sortKey : rankMetric;
      var wrap = el('span', null, [a]);
      if (metric && bestOf[metric] === r.id) wrap.appendChild(el('span', { class: 'badge best', text: 'best ' + metric }));
      (holderOf[r.id] || []).forEach(function (stage) {
        wrap.appendChild(el('span', { class: 'stage small-stage', text: stage }));
      });
      return wrap;
    }

    function metricColumn(m, optional, shown) {
      return {
        key: m.name,
        metric: true,
        optional: optional,
        shown: shown,
        label: m.name + (m.direction === 'min' ? ' ↓' : m.direction === 'max' ? ' ↑' : ''),
        chooserLabel: m.name,
        title: m.direction ? dirWord(m.direction) : 'direction unknown: set metrics.' + m.name + '.direction in modelgit.yaml',
        num: true,
        dir: m.direction,
        value: function (r) { return r.v[m.name]; },
        cell: function (r) { return fmt(r.v[m.name]); },
        cellClass: function (r) { return m.best === r.id ? 'best' : ''; },
      };
    }

    // The ranking metric sits next to the model, so the score is on screen even on a phone; the
    // other metrics follow (three shown by default), then the rest, then hyperparameters (hidden
    // until chosen): alphabetical order once put the ranking metric last, off the screen.
    function columnsFor(metric) {
      var columns = [
        { key: '#', label: '#', title: 'rank by ' + (metric || 'the chosen metric') + ', as modelgit best ranks', num: true, value: function (r) { return ranks[r.id]; }, dir: 'min', cell: function (r) { return ranks[r.id] ? String(ranks[r.id]) : '—'; } },
        { key: 'id', label: 'Model', value: function (r) { return r.id; }, cell: modelCell },
      ];
      var rankCol = data.metrics.filter(function (m) { return m.name === metric; })[0];
      if (rankCol) columns.push(metricColumn(rankCol, false, true));
      var others = 0;
      data.metrics.forEach(function (m) {
        if (m === rankCol) return;
        columns.push(metricColumn(m, true, others++ < 3));
      });
      columns.push(
        { key: 'trained_on', label: 'Trained on', optional: true, value: function (r) { return r.trained_on; }, cell: function (r) { return r.trained_on || '—'; } },
        { key: 'tags', label: 'Tags', optional: true, cell: function (r) { return tagList(r.tags); } },
        { key: 'training_time', label: 'Training time (s)', chooserLabel: 'training time', optional: true, num: true, value: function (r) { return r.training_time; }, cell: function (r) { return fmt(r.training_time); } },
        { key: 'tested_at', label: 'Tested (UTC)', chooserLabel: 'tested', optional: true, firstDesc: true, value: function (r) { return r.tested_at; }, cell: function (r) { return el('span', { class: 'date', text: fmtDate(r.tested_at) }); } },
      );
      (data.params || []).forEach(function (h) {
        columns.push({
          key: 'hp:' + h,
          label: h,
          chooserLabel: h + ' (hyperparameter)',
          title: 'hyperparameter',
          optional: true,
          shown: false,
          num: data.hyperparams.indexOf(h) >= 0,
          value: function (r) { return r.hp[h]; },
          cell: function (r) { return paramText(r.hp[h]); },
        });
      });
      return columns;
    }

    function setRankMetric(metric) {
      rankMetric = metric;
      ranks = ranking(data, metric);
    }

    function resolve(name) {
      if (data.metrics.some(function (m) { return m.name === name; })) return function (r) { return r.v[name]; };
      if (data.params.indexOf(name) >= 0) return function (r) { return r.hp[name]; };
      if (name.slice(0, 3) === 'hp:' && data.params.indexOf(name.slice(3)) >= 0) return function (r) { return r.hp[name.slice(3)]; };
      if (name === 'training_time') return function (r) { return r.training_time; };
      if (name === 'trained_on') return function (r) { return r.trained_on; };
      if (name === 'tag' || name === 'tags') return function (r) { return r.tags; };
      if (name === 'rank') return function (r) { return ranks[r.id]; };
      return null;
    }

    setRankMetric(data.defaultMetric);
    var sortKey = data.defaultMetric || 'id';
    var first = data.metrics.filter(function (m) { return m.name === sortKey; })[0];
    var example = (data.defaultMetric ? data.defaultMetric + '<=' + fmt(data.rows.map(function (r) { return r.v[data.defaultMetric]; }).filter(isNum).sort(function (a, b) { return a - b; })[Math.floor(data.rows.length / 2)] || 0) : 'rank<=10') + (data.params.length ? ', ' + data.params[0] + '=' + paramText(data.rows.filter(function (r) { return r.hp[data.params[0]] !== undefined; })[0].hp[data.params[0]]) : '');
    table = new DataTable(root, {
      columns: columnsFor(data.defaultMetric),
      rows: data.rows,
      sort: { key: sortKey, desc: !!first && first.direction === 'max' },
      tie: idTie,
      resolve: resolve,
      wherePlaceholder: 'e.g. ' + example,
      selectable: true,
      compareHref: function (ids) {
        return data.compare + '#ids=' + joinList(ids);
      },
      filters: [
        { key: 'tag', label: 'Tag', values: function (r) { return r.tags; } },
        { key: 'trained_on', label: 'Trained on', values: function (r) { return [r.trained_on || '(none)']; } },
      ],
    });
    // a new ranking metric moves next to the model, and the table is sorted by it, best first
    table.rankBy = function (metric) {
      setRankMetric(metric);
      table.cfg.sort = { key: metric, desc: (data.metrics.filter(function (m) { return m.name === metric; })[0] || {}).direction === 'max' };
      table.sortKey = table.cfg.sort.key;
      table.sortDesc = table.cfg.sort.desc;
      table.page = 0;
      table.setColumns(columnsFor(metric));
    };
    return table;
  }

  function modelsPage(data) {
    var root = document.querySelector('[data-table="models"]');
    return new DataTable(root, {
      columns: [
        { key: 'id', label: 'Model', value: function (r) { return r.id; }, cell: function (r) {
          return el('a', { class: 'model', href: data.base + 'm/' + data.algorithm + '/' + encodeURIComponent(r.id) + '.html', text: r.id });
        } },
        { key: 'trained_at', label: 'Trained (UTC)', firstDesc: true, value: function (r) { return r.trained_at; }, cell: function (r) { return el('span', { class: 'date', text: fmtDate(r.trained_at) }); } },
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
      selectable: true,
      compareHref: function (ids) {
        return data.base + 'a/' + data.algorithm + '/compare.html#ids=' + joinList(ids);
      },
      filters: [
        { key: 'tag', label: 'Tag', values: function (r) { return r.tags; } },
        { key: 'trained_on', label: 'Trained on', values: function (r) { return [r.trained_on || '(none)']; } },
      ],
    });
  }

  /** Keeps a table's view in the URL, and the URL's view in the table (links, back/forward). */
  function bindTable(table, extra) {
    function save(push) {
      var params = new URLSearchParams();
      if (extra) extra.save(params);
      table.saveState(params);
      urlState.write(params, push);
    }
    function load(params) {
      if (extra) extra.load(params);
      table.loadState(params);
    }
    table.cfg.onChange = save;
    if (location.hash.length > 1) load(urlState.read());
    urlState.written = location.hash.replace(/^#/, '');
    urlState.listen(load);
    return save;
  }

  // ---- compare --------------------------------------------------------------------------------

  function isBetter(a, b, dir) {
    return dir === 'min' ? a < b : dir === 'max' ? a > b : false;
  }

  function comparePage(data) {
    var root = document.getElementById('compare');
    var byId = {};
    data.models.forEach(function (m) {
      byId[m.id] = m;
    });
    var dirOf = {};
    data.metrics.forEach(function (m) {
      dirOf[m.name] = m.direction;
    });
    var ids = [];

    function setIds(next, push) {
      ids = next.filter(function (id, i) { return next.indexOf(id) === i; });
      var params = new URLSearchParams();
      if (ids.length) params.set('ids', ids.join(','));
      urlState.write(params, push);
      render();
    }

    function modelLink(id) {
      return el('a', { class: 'model', href: data.modelBase + encodeURIComponent(id) + '.html', text: id });
    }

    var picker = el('input', { type: 'text', list: 'compare-ids', placeholder: 'model id', 'data-compare': 'add', spellcheck: 'false' });
    var options = el('datalist', { id: 'compare-ids' });
    data.models.forEach(function (m) {
      options.appendChild(el('option', { value: m.id }));
    });
    var addButton = el('button', { type: 'button', text: 'Add', onclick: add });
    picker.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') add();
    });
    function add() {
      var id = picker.value.trim();
      if (!id) return;
      picker.value = '';
      setIds(ids.concat([id]), true);
    }
    var form = el('div', { class: 'controls' }, [el('label', null, ['Add a model ', picker]), addButton, options]);
    var out = el('div', { 'aria-live': 'polite' });
    root.appendChild(form);
    root.appendChild(out);

    function headCells(models) {
      return models.map(function (m, i) {
        var cell = el('th', { scope: 'col', 'data-id': m.id }, [modelLink(m.id)]);
        m.stages.forEach(function (s) {
          cell.appendChild(el('span', { class: 'stage small-stage', text: s }));
        });
        var tools = el('div', { class: 'tools' });
        if (i > 0) {
          tools.appendChild(el('button', { type: 'button', class: 'baseline', text: 'compare against this', 'aria-label': 'measure the others against ' + m.id, onclick: function () {
            setIds([m.id].concat(ids.filter(function (x) { return x !== m.id; })), true);
          } }));
        } else {
          tools.appendChild(el('span', { class: 'muted small', text: 'baseline' }));
        }
        tools.appendChild(el('button', { type: 'button', class: 'remove', text: 'remove', 'aria-label': 'remove ' + m.id, onclick: function () {
          setIds(ids.filter(function (x) { return x !== m.id; }), true);
        } }));
        cell.appendChild(tools);
        return cell;
      });
    }

    function render() {
      clear(out);
      var models = [];
      var unknown = [];
      ids.forEach(function (id) {
        if (byId[id]) models.push(byId[id]);
        else unknown.push(id);
      });
      root.setAttribute('data-models', String(models.length));
      if (unknown.length) out.appendChild(el('p', { class: 'note', text: 'Not a ' + data.algorithm + ' model at HEAD: ' + unknown.join(', ') + '.' }));
      if (models.length === 0) {
        out.appendChild(el('p', { class: 'empty', text: 'No models chosen yet. Tick models on a dataset’s leaderboard and press “Compare”, or add them above.' }));
        return;
      }
      // results: one row per (dataset, metric) any chosen model has
      var rows = [];
      data.datasets.forEach(function (d) {
        data.metrics.forEach(function (m) {
          var any = models.some(function (x) { return x.r[d] && isNum(x.r[d][m.name]); });
          if (any) rows.push([d, m.name]);
        });
      });
      out.appendChild(el('h2', { text: 'Results' }));
      if (rows.length === 0) out.appendChild(el('p', { class: 'empty', text: 'None of these models has a test result yet.' }));
      else {
        var body = el('tbody');
        rows.forEach(function (pair) {
          var d = pair[0];
          var metric = pair[1];
          var dir = dirOf[metric];
          var values = models.map(function (x) { return x.r[d] ? x.r[d][metric] : undefined; });
          var best = null;
          // a best is only worth marking among two or more values
          if (dir && values.filter(isNum).length > 1) values.forEach(function (v) { if (isNum(v) && (best === null || isBetter(v, best, dir))) best = v; });
          // one header cell per row, kept in view while the models scroll sideways (a phone)
          var tr = el('tr', { 'data-row': d + '/' + metric }, [
            el('th', { scope: 'row', class: 'sticky' }, [
              el('a', { href: data.datasetBase + encodeURIComponent(slug(d)) + '.html', text: d }),
              el('div', { class: 'metric-name', title: dirWord(dir), text: metric + (dir === 'min' ? ' ↓' : dir === 'max' ? ' ↑' : '') }),
            ]),
          ]);
          values.forEach(function (v, i) {
            var td = el('td', { class: 'num' + (best !== null && v === best ? ' best' : '') }, [fmt(v)]);
            var base = values[0];
            if (i > 0 && isNum(v) && isNum(base)) {
              var delta = v - base;
              var cls = delta === 0 || !dir ? 'same' : isBetter(v, base, dir) ? 'better' : 'worse';
              var pct = base !== 0 ? ' (' + (delta > 0 ? '+' : '') + fmt(Number(((delta / Math.abs(base)) * 100).toPrecision(3))) + '%)' : '';
              td.appendChild(el('div', { class: 'delta ' + cls, text: (delta > 0 ? '+' : '') + fmt(Number(delta.toPrecision(12))) + pct + (cls === 'same' ? '' : ' ' + cls) }));
            }
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
        var head = el('tr', null, [el('th', { scope: 'col', class: 'sticky', text: 'Dataset, metric' })].concat(headCells(models)));
        out.appendChild(el('div', { class: 'scroll' }, [el('table', { class: 'compare-results' }, [el('thead', null, [head]), body])]));
      }
      // training and hyperparameters: rows that differ are marked
      out.appendChild(el('h2', { text: 'Training and hyperparameters' }));
      var fields = [
        ['trained on', function (m) { return m.trained_on || '—'; }],
        ['trained at (UTC)', function (m) { return fmtDate(m.trained_at); }],
        ['training time (s)', function (m) { return fmt(m.training_time); }],
        ['tags', function (m) { return m.tags.join(', ') || '—'; }],
      ];
      var names = {};
      models.forEach(function (m) { Object.keys(m.hp).forEach(function (k) { names[k] = true; }); });
      Object.keys(names).sort().forEach(function (k) {
        fields.push([k, function (m) { return paramText(m.hp[k]); }, true]);
      });
      var pbody = el('tbody');
      fields.forEach(function (f) {
        var texts = models.map(f[1]);
        var differs = texts.some(function (t) { return t !== texts[0]; });
        var tr = el('tr', { class: differs ? 'differs' : '', 'data-field': f[0] }, [
          el('th', { scope: 'row', class: 'sticky' }, [f[0], f[2] ? el('div', { class: 'muted small', text: 'hyperparameter' }) : null, differs ? el('span', { class: 'badge', text: 'differs' }) : null]),
        ]);
        texts.forEach(function (t) { tr.appendChild(el('td', { class: f[2] || /time/.test(f[0]) ? 'num' : '', text: t })); });
        pbody.appendChild(tr);
      });
      var phead = el('tr', null, [el('th', { scope: 'col', class: 'sticky', text: 'Field' })].concat(headCells(models)));
      out.appendChild(el('div', { class: 'scroll' }, [el('table', { class: 'compare-params' }, [el('thead', null, [phead]), pbody])]));
    }

    function load(params) {
      ids = (params.get('ids') || '').split(',').filter(Boolean);
      render();
    }
    load(urlState.read());
    urlState.written = location.hash.replace(/^#/, '');
    urlState.listen(load);
  }

  // ---- charts ---------------------------------------------------------------------------------

  function chartWidth(box) {
    return Math.max(300, Math.min(box.clientWidth || 900, 1100));
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

  // on a log scale the padding is a factor, and the range stays positive
  function logRange(min, max) {
    if (!(min > 0) || !(max > 0)) return [1, 10];
    return [min / 1.25, max * 1.25];
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

  // every time axis and legend in UTC, as the tables are
  function utc(ts) {
    return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
  }

  /** A log-scale checkbox that can only be ticked when every value is positive. */
  function logBox(box, values, what) {
    var positive = values.length > 0 && values.every(function (v) { return v > 0; });
    box.disabled = !positive;
    box.title = positive ? '' : what + ' has values ≤ 0, which a log scale cannot show';
    if (!positive) box.checked = false;
    return positive && box.checked;
  }

  function drawBest(data, metric, logSel) {
    var box = document.getElementById('best-chart');
    var list = document.getElementById('best-steps');
    if (charts.best) charts.best.destroy();
    charts.best = null;
    clear(box);
    clear(list);
    box.removeAttribute('data-steps');
    box.removeAttribute('data-results');
    box.removeAttribute('data-log');
    var col = data.metrics.filter(function (m) { return m.name === metric; })[0];
    if (!col) return message(box, 'No results on this dataset yet, so there is no best to follow.');
    if (!col.direction) {
      logSel.disabled = true;
      return message(box, 'Which ' + metric + ' is better is unknown, so no best can be named. Set metrics.' + metric + '.direction (min or max) in modelgit.yaml.');
    }
    var s = data.series[metric];
    if (!s || s.steps.length === 0) return message(box, 'No ' + metric + ' results in the history yet.');
    var steps = s.steps;
    var points = (data.points && data.points[metric]) || [];
    box.setAttribute('data-steps', String(steps.length));
    box.setAttribute('data-results', String(points.length));
    var xs = steps.map(function (p) { return p.time; });
    var ys = steps.map(function (p) { return p.value; });
    var last = steps[steps.length - 1];
    // carry the last value to HEAD so the current best's reign is visible (HEAD's time is in the
    // site's one site.js, so a commit elsewhere does not remake this page)
    var endTime = window.modelgitSite ? window.modelgitSite.endTime : data.endTime;
    if (endTime > last.time) {
      xs.push(endTime);
      ys.push(last.value);
    }
    var all = ys.filter(isNum).concat(points.map(function (p) { return p[1]; }));
    var log = logBox(logSel, all, metric);
    if (log) box.setAttribute('data-log', 'true');
    var ye = extent(all);
    var ymin = ye[0];
    var ymax = ye[1];
    var xe = extent(xs.concat(points.map(function (p) { return p[0]; })));
    var xmin = xe[0];
    var xmax = xe[1];
    var cap = caption(box);
    function describe(i) {
      var p = steps[Math.min(i, steps.length - 1)];
      cap.textContent = p.model_id ? p.model_id + ' — ' + metric + ' ' + fmt(p.value) + ' since ' + fmtDate(p.date) + ' UTC' : 'no result since ' + fmtDate(p.date) + ' UTC';
    }
    describe(steps.length - 1);
    var dot = getComputedStyle(document.body).getPropertyValue('--muted').trim() || '#687086';
    // the individual results, under the step line: drawn before the series
    function drawResults(u) {
      var ctx = u.ctx;
      var r = 2.5 * uPlot.pxRatio;
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      ctx.fillStyle = dot;
      ctx.globalAlpha = 0.45;
      ctx.beginPath();
      points.forEach(function (p) {
        var x = u.valToPos(p[0], 'x', true);
        var y = u.valToPos(p[1], 'y', true);
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      });
      ctx.fill();
      ctx.restore();
    }
    var u = new uPlot(
      {
        width: chartWidth(box),
        height: 280,
        tzDate: utc,
        scales: {
          x: { time: true, range: function () { return [xmin - (xmax - xmin) * 0.02 || xmin - 60, xmax + (xmax - xmin) * 0.02 || xmax + 60]; } },
          y: log ? { distr: 3, range: function () { return logRange(ymin, ymax); } } : { range: function (u) { return padRange(u, ymin, ymax); } },
        },
        series: [
          { label: 'commit time (UTC)' },
          {
            label: 'best ' + metric + (col.direction === 'min' ? ' (lower is better)' : ' (higher is better)'),
            stroke: '#2463eb',
            width: 2,
            paths: uPlot.paths.stepped({ align: 1 }),
            points: { show: true, size: 7 },
            value: function (u, v) { return fmt(v); },
          },
        ],
        axes: [axis('commit time (UTC)'), axis(metric + (log ? ' (log scale)' : ''))],
        hooks: {
          drawAxes: [drawResults],
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
    if (points.length) box.appendChild(el('p', { class: 'muted small legend-note', text: 'Grey dots: every ' + metric + ' result on ' + data.dataset + ' of the models in the registry now (' + points.length + ').' }));

    var rows = steps.map(function (p, i) {
      var prev = i > 0 ? steps[i - 1].value : null;
      var delta = isNum(prev) && isNum(p.value) ? p.value - prev : null;
      return el('tr', null, [
        el('td', { class: 'num', text: String(i + 1) }),
        el('td', null, [el('span', { class: 'date', text: fmtDate(p.date) })]),
        el('td', null, [p.model_id ? el('a', { class: 'model', href: data.modelBase + encodeURIComponent(p.model_id) + '.html', text: p.model_id }) : el('span', { class: 'muted', text: 'no result' })]),
        el('td', { class: 'num', text: fmt(p.value) }),
        el('td', { class: 'num', text: delta === null ? '' : (delta > 0 ? '+' : '') + fmt(delta) }),
        el('td', null, [el('code', { title: p.commit, text: p.commit.slice(0, 8) })]),
      ]);
    });
    var head = el('tr', null, ['#', 'Since (UTC)', 'Best model', metric, 'Change', 'Commit'].map(function (h, i) { return el('th', { text: h, class: i === 0 || i === 3 || i === 4 ? 'num' : '' }); }));
    list.appendChild(el('div', { class: 'scroll' }, [el('table', { class: 'steps' }, [el('thead', null, [head]), el('tbody', null, rows)])]));
    if (steps.length === 1) list.appendChild(el('p', { class: 'note', text: 'One best so far: the chart steps each time a commit changes the best.' }));
  }

  // Okabe–Ito: distinguishable with the common colour-vision deficiencies, and on dark backgrounds
  var PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

  function drawScatter(data, metric, opts) {
    var box = document.getElementById('scatter-chart');
    if (charts.scatter) charts.scatter.destroy();
    charts.scatter = null;
    clear(box);
    box.removeAttribute('data-points');
    box.removeAttribute('data-hover');
    var xKey = opts.x;
    var xLabel = xKey === 'training_time' ? 'training time (s)' : xKey.slice(3);
    if (!metric) return message(box, 'No results on this dataset yet, so there is nothing to plot.');
    function xOf(r) {
      return xKey === 'training_time' ? r.training_time : r.hp[xKey.slice(3)];
    }
    var pts = data.rows
      .filter(function (r) { return isNum(xOf(r)) && isNum(r.v[metric]); })
      .sort(function (a, b) { return xOf(a) - xOf(b) || a.id.localeCompare(b.id); });
    box.setAttribute('data-points', String(pts.length));
    var logx = logBox(opts.logxBox, pts.map(xOf), xLabel);
    var logy = logBox(opts.logyBox, pts.map(function (r) { return r.v[metric]; }), metric);
    if (pts.length === 0) {
      return message(box, 'No model here has both ' + xLabel + ' and ' + metric + ' recorded. ' + (xKey === 'training_time' ? 'register --training-time records it.' : ''));
    }
    var col = data.metrics.filter(function (m) { return m.name === metric; })[0] || {};
    var holders = {};
    Object.keys(data.stages || {}).forEach(function (stage) {
      holders[data.stages[stage]] = (holders[data.stages[stage]] || []).concat([stage]);
    });

    // groups for colour: the training dataset, or the first tag; the eighth colour is "other"
    var groupOf = function () { return ''; };
    var groups = [];
    if (opts.colour === 'trained_on') groupOf = function (r) { return r.trained_on || '(none)'; };
    if (opts.colour === 'tag') groupOf = function (r) { return r.tags.length ? r.tags.slice().sort()[0] : '(no tag)'; };
    if (opts.colour) {
      var counts = {};
      pts.forEach(function (r) { var g = groupOf(r); counts[g] = (counts[g] || 0) + 1; });
      groups = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || a.localeCompare(b); });
    }
    var colourOf = {};
    groups.forEach(function (g, i) { colourOf[g] = PALETTE[Math.min(i, PALETTE.length - 1)]; });
    var plain = '#c2410c';
    function colour(r) {
      return opts.colour ? colourOf[groupOf(r)] : plain;
    }

    var cap = caption(box);
    function describe(r) {
      if (!r) {
        cap.textContent = 'Point at a model to name it.';
        box.removeAttribute('data-hover');
        return;
      }
      var extra = [];
      if (col.best === r.id) extra.push('best ' + metric);
      (holders[r.id] || []).forEach(function (s) { extra.push(s); });
      cap.textContent = r.id + ': ' + xLabel + ' ' + fmt(xOf(r)) + ', ' + metric + ' ' + fmt(r.v[metric]) + (extra.length ? ' (' + extra.join(', ') + ')' : '') + ' — click to open';
      box.setAttribute('data-hover', r.id);
    }
    describe(null);
    if (pts.length < data.rows.length) {
      box.appendChild(el('p', { class: 'note', text: pts.length + ' of ' + data.rows.length + ' models have both ' + xLabel + ' and ' + metric + '.' }));
    }
    var xs = pts.map(xOf);
    var ys = pts.map(function (r) { return r.v[metric]; });
    var xe = extent(xs);
    var ye = extent(ys);
    var xmin = xe[0], xmax = xe[1];
    var ymin = ye[0], ymax = ye[1];
    // positions in CSS pixels within the plot, from the last draw: hover looks them up
    var pos = [];
    var hovered = null;
    var ring = el('div', { class: 'hover-ring' });

    function drawPoints(u) {
      var ctx = u.ctx;
      var k = uPlot.pxRatio;
      pos = new Array(pts.length);
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      ctx.globalAlpha = 0.75;
      var special = [];
      pts.forEach(function (r, i) {
        var x = u.valToPos(xs[i], 'x');
        var y = u.valToPos(ys[i], 'y');
        pos[i] = [x, y];
        if (col.best === r.id || holders[r.id]) special.push(i);
        ctx.fillStyle = colour(r);
        ctx.beginPath();
        ctx.arc(u.bbox.left + x * k, u.bbox.top + y * k, 4 * k, 0, 2 * Math.PI);
        ctx.fill();
      });
      ctx.globalAlpha = 1;
      // the best and the stage holders on top, ringed, so a crowd cannot hide them
      special.forEach(function (i) {
        var r = pts[i];
        var cx = u.bbox.left + pos[i][0] * k;
        var cy = u.bbox.top + pos[i][1] * k;
        ctx.lineWidth = 2.5 * k;
        if (col.best === r.id) {
          ctx.strokeStyle = '#16a34a';
          ctx.beginPath();
          ctx.arc(cx, cy, 8 * k, 0, 2 * Math.PI);
          ctx.stroke();
        }
        if (holders[r.id]) {
          ctx.strokeStyle = '#ca8a04';
          ctx.strokeRect(cx - 7 * k, cy - 7 * k, 14 * k, 14 * k);
        }
        ctx.fillStyle = colour(r);
        ctx.beginPath();
        ctx.arc(cx, cy, 4 * k, 0, 2 * Math.PI);
        ctx.fill();
      });
      ctx.restore();
    }

    // the point nearest the pointer in both x and y (not just x: many models share one
    // hyperparameter value), within 20 px
    function nearest(left, top) {
      var best = -1;
      var bestD = 400;
      for (var i = 0; i < pos.length; i++) {
        if (!pos[i]) continue;
        var dx = pos[i][0] - left;
        var dy = pos[i][1] - top;
        var d = dx * dx + dy * dy;
        if (d <= bestD) {
          bestD = d;
          best = i;
        }
      }
      return best;
    }

    function hover(u) {
      var left = u.cursor.left;
      var top = u.cursor.top;
      var i = left === undefined || left < 0 ? -1 : nearest(left, top);
      hovered = i >= 0 ? pts[i] : null;
      describe(hovered);
      if (hovered) {
        ring.style.display = 'block';
        ring.style.left = pos[i][0] + 'px';
        ring.style.top = pos[i][1] + 'px';
      } else ring.style.display = 'none';
    }

    var u = new uPlot(
      {
        width: chartWidth(box),
        height: 300,
        legend: { show: false },
        scales: {
          x: logx ? { time: false, distr: 3, range: function () { return logRange(xmin, xmax); } } : { time: false, range: function (u) { return padRange(u, xmin, xmax); } },
          y: logy ? { distr: 3, range: function () { return logRange(ymin, ymax); } } : { range: function (u) { return padRange(u, ymin, ymax); } },
        },
        series: [
          { label: xLabel },
          { label: metric, stroke: plain, paths: function () { return null; }, points: { show: false } },
        ],
        axes: [axis(xLabel + (logx ? ' (log)' : '')), axis(metric + (logy ? ' (log)' : ''))],
        cursor: { points: { show: false }, drag: { x: true, y: true } },
        hooks: { draw: [drawPoints], setCursor: [hover] },
      },
      [xs, ys],
      box,
    );
    charts.scatter = u;
    u.over.appendChild(ring);
    var downAt = null;
    u.over.addEventListener('mousedown', function (ev) { downAt = [ev.clientX, ev.clientY]; });
    u.over.addEventListener('click', function (ev) {
      // a drag zooms; only a click without movement opens the model
      if (downAt && Math.abs(ev.clientX - downAt[0]) + Math.abs(ev.clientY - downAt[1]) > 4) return;
      var rect = u.over.getBoundingClientRect();
      var i = nearest(ev.clientX - rect.left, ev.clientY - rect.top);
      if (i >= 0) location.href = data.modelBase + encodeURIComponent(pts[i].id) + '.html';
    });
    u.over.style.cursor = 'pointer';

    // the legend: colours, and what the rings mean
    var legend = el('ul', { class: 'scatter-legend' });
    groups.forEach(function (g, i) {
      if (i > PALETTE.length - 1) return;
      var label = i === PALETTE.length - 1 && groups.length > PALETTE.length ? 'other (' + (groups.length - i) + ' groups)' : g;
      legend.appendChild(el('li', null, [el('span', { class: 'swatch', style: 'background:' + colourOf[g] }), label]));
    });
    if (col.best && pts.some(function (r) { return r.id === col.best; })) legend.appendChild(el('li', null, [el('span', { class: 'swatch ring-best' }), 'best ' + metric + ': ' + col.best]));
    Object.keys(data.stages || {}).forEach(function (stage) {
      var id = data.stages[stage];
      if (pts.some(function (r) { return r.id === id; })) legend.appendChild(el('li', null, [el('span', { class: 'swatch ring-stage' }), stage + ': ' + id]));
    });
    if (legend.firstChild) box.appendChild(legend);
  }

  function datasetPage() {
    var data = readData('report-data');
    if (!data) return;
    var metricSel = document.getElementById('metric');
    var xSel = document.getElementById('scatter-x');
    var colourSel = document.getElementById('scatter-colour');
    var bestLog = document.getElementById('best-log');
    var logx = document.getElementById('scatter-logx');
    var logy = document.getElementById('scatter-logy');
    var table = leaderboardPage(data, metricSel);
    function metric() {
      return metricSel.value || data.defaultMetric;
    }
    function redrawBest() {
      drawBest(data, metric(), bestLog);
    }
    function redrawScatter() {
      drawScatter(data, metric(), { x: xSel.value, colour: colourSel.value, logxBox: logx, logyBox: logy });
    }
    function redraw() {
      redrawBest();
      redrawScatter();
    }
    // the page's own controls travel in the URL with the table's view
    var extra = {
      save: function (params) {
        if (metricSel.value && metricSel.value !== data.defaultMetric) params.set('metric', metricSel.value);
        if (bestLog.checked) params.set('log', '1');
        if (xSel.value !== 'training_time') params.set('x', xSel.value);
        if (colourSel.value) params.set('colour', colourSel.value);
        if (logx.checked) params.set('logx', '1');
        if (logy.checked) params.set('logy', '1');
      },
      load: function (params) {
        var m = params.get('metric') || data.defaultMetric;
        var known = data.metrics.some(function (c) { return c.name === m; });
        var want = known ? m : data.defaultMetric;
        if (want && metricSel.value !== want) {
          metricSel.value = want;
          if (table) table.rankBy(want);
        }
        bestLog.checked = params.get('log') === '1';
        var x = params.get('x') || 'training_time';
        xSel.value = Array.prototype.some.call(xSel.options, function (o) { return o.value === x; }) ? x : 'training_time';
        var c = params.get('colour') || '';
        colourSel.value = c === 'trained_on' || c === 'tag' ? c : '';
        logx.checked = params.get('logx') === '1';
        logy.checked = params.get('logy') === '1';
        redraw();
      },
    };
    var save = table ? bindTable(table, extra) : function () {};
    if (!table) {
      redraw();
    } else if (location.hash.length <= 1) redraw();
    metricSel.addEventListener('change', function () {
      if (table && metricSel.value) table.rankBy(metricSel.value);
      redraw();
      save(true);
    });
    bestLog.addEventListener('change', function () {
      redrawBest();
      save(true);
    });
    [xSel, colourSel, logx, logy].forEach(function (c) {
      c.addEventListener('change', function () {
        redrawScatter();
        save(true);
      });
    });
    var resizeTimer = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        ['best', 'scatter'].forEach(function (k) {
          var u = charts[k];
          if (u) u.setSize({ width: chartWidth(u.root.parentNode), height: k === 'best' ? 280 : 300 });
        });
      }, 150);
    });
  }

  // A model page's standing: where it ranks on each dataset by the metric its leaderboard opens on,
  // with links to compare it with the best (or, for the best, the runner-up) and with each stage's
  // holder. The data is the algorithm's standing.js (one file for all its model pages, so a new
  // result does not remake every page whose rank it moves).
  function standingSection(box, data) {
    var id = box.getAttribute('data-model');
    var base = box.getAttribute('data-base') || '';
    var compareLink = function (other, label) {
      var href = base + 'a/' + data.algorithm + '/compare.html#ids=' + [id, other].map(encodeURIComponent).join(',');
      return el('a', { class: 'compare-link', href: href, text: label });
    };
    var rows = [];
    data.datasets.forEach(function (d) {
      var at = d.ids.indexOf(id);
      if (at < 0) return;
      var cmp =
        d.ids[0] !== id
          ? compareLink(d.ids[0], 'compare with the best')
          : d.ids.length > 1
            ? compareLink(d.ids[1], 'compare with the runner-up')
            : el('span', { class: 'muted', text: 'the only one' });
      rows.push(
        el('tr', null, [
          el('td', null, [el('a', { href: base + d.href, text: d.dataset })]),
          el('td', null, [el('span', { title: d.direction === 'min' ? 'lower is better' : 'higher is better', text: d.metric + ' ' + (d.direction === 'min' ? '↓' : '↑') })]),
          el('td', { class: 'num', text: fmt(d.values[at]) }),
          el('td', { class: 'num' }, [el('b', { text: String(at + 1) }), ' of ' + d.ids.length]),
          el('td', null, [cmp]),
        ]),
      );
    });
    if (rows.length) {
      var head = ['Dataset', 'Metric', 'Score', 'Rank', 'Compare'].map(function (h, i) {
        return el('th', i === 2 || i === 3 ? { class: 'num', text: h } : { text: h });
      });
      box.appendChild(el('div', { class: 'scroll' }, [el('table', { class: 'standing' }, [el('thead', null, [el('tr', null, head)]), el('tbody', null, rows)])]));
    } else {
      box.appendChild(
        el('p', { class: 'empty' }, ['Not ranked on any dataset. ', el('span', { class: 'hint', text: 'A model is ranked once it has a result on a metric whose direction is known.' })]),
      );
    }
    var links = data.holders
      .filter(function (h) {
        return h[1] !== id;
      })
      .map(function (h) {
        var holder = h[2] ? el('a', { class: 'model', href: base + h[2], text: h[1] }) : el('span', { class: 'removed', title: 'not in the registry at HEAD', text: h[1] });
        return el('li', null, [compareLink(h[1], 'compare with the ' + h[0] + ' holder'), ' (', holder, ')']);
      });
    if (links.length) box.appendChild(el('ul', { class: 'compare-links' }, links));
  }

  function start() {
    var standing = document.getElementById('standing');
    if (standing && window.modelgitStanding) standingSection(standing, window.modelgitStanding);
    if (document.getElementById('report-data')) datasetPage();
    var models = readData('models-data');
    if (models) bindTable(modelsPage(models));
    var compare = readData('compare-data');
    if (compare) comparePage(compare);
    document.documentElement.setAttribute('data-ready', 'true');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
