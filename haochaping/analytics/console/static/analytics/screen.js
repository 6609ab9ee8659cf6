/* 大屏 (analytics/screen.html): the clock, and the figures polled from data-url every
 * data-refresh seconds. Runs unattended for days, so the page never grows: text is written into
 * the existing text nodes, the feed and overdue lists reuse their fixed <li> rows, the charts
 * take new data through haochapingCharts.update (merged, no new chart, no flicker). A failed poll
 * keeps the last figures and shows 连接中断，正在重试; an expired login (redirect, 401/403) shows
 * a sign-in message. No inline script or style attribute anywhere (CSP script-src/style-src 'self').
 * Plain ES2015, no build step. */
(function () {
  "use strict";

  var body = document.body;
  var url = body.getAttribute("data-url");
  var refresh = Math.max(1, parseInt(body.getAttribute("data-refresh"), 10) || 30) * 1000;
  var TIMEOUT = Math.max(refresh, 10000);
  var WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];
  var CHARTS = { levels: "screen-levels", trend: "screen-trend", ranking: "screen-ranking" };

  var clock = document.getElementById("screen-clock");
  var offline = document.getElementById("screen-offline");
  var login = document.getElementById("screen-login");
  var feedRows = document.querySelectorAll("#screen-feed > li");
  var feedEmpty = document.getElementById("screen-feed-empty");
  var overdueRows = document.querySelectorAll("#screen-overdue > li");
  var overdueEmpty = document.getElementById("screen-overdue-empty");
  var tiles = {};
  var fields = {};
  var streets = {};
  var lastFeedId = 0;

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) fn(list[i], i);
  }

  each(document.querySelectorAll("[data-tile]"), function (el) {
    tiles[el.getAttribute("data-tile")] = el;
  });
  each(document.querySelectorAll(".screen-head [data-field], .screen-panel h2 [data-field]"), function (el) {
    fields[el.getAttribute("data-field")] = el;
  });
  each(document.querySelectorAll("tr[data-unit]"), function (tr) {
    var cells = {};
    each(tr.querySelectorAll("[data-field]"), function (td) {
      cells[td.getAttribute("data-field")] = td;
    });
    streets[tr.getAttribute("data-unit")] = cells;
  });
  each(feedRows, function (li) {
    var id = parseInt(li.getAttribute("data-id"), 10) || 0;
    if (id > lastFeedId) lastFeedId = id;
  });

  /** Write ``text`` into ``el`` reusing its text node (no node churn on every poll). */
  function setText(el, text) {
    if (!el) return;
    text = text == null ? "" : String(text);
    var node = el.firstChild;
    if (node && node.nodeType === 3 && !node.nextSibling) {
      if (node.nodeValue !== text) node.nodeValue = text;
    } else if (el.textContent !== text) {
      el.textContent = text;
    }
  }

  function setHidden(el, hidden) {
    if (el && el.hidden !== hidden) el.hidden = hidden;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function tick() {
    var now = new Date();
    setText(
      clock,
      now.getFullYear() + "年" + pad(now.getMonth() + 1) + "月" + pad(now.getDate()) + "日 星期" +
        WEEKDAYS[now.getDay()] + " " + pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds())
    );
  }

  function showFeed(rows) {
    var newest = lastFeedId;
    each(feedRows, function (li, i) {
      var row = rows[i];
      setHidden(li, !row);
      if (!row) return;
      var spans = li.children;
      li.setAttribute("data-id", row.id);
      setText(spans[0], row.time);
      setText(spans[1], row.level);
      var levelClass = "feed-level level-" + row.level_code;
      if (spans[1].className !== levelClass) spans[1].className = levelClass;
      setText(spans[2], row.unit + (row.window ? " · " + row.window : "") + "｜" + row.item);
      setText(spans[3], row.channel);
      li.classList.toggle("is-new", lastFeedId > 0 && row.id > lastFeedId);
      if (row.id > newest) newest = row.id;
    });
    lastFeedId = newest;
    setHidden(feedEmpty, rows.length > 0);
  }

  function showOverdue(overdue) {
    var rows = overdue.rows;
    each(overdueRows, function (li, i) {
      var row = rows[i];
      setHidden(li, !row);
      if (!row) return;
      var spans = li.children;
      setText(spans[0], row.unit);
      setText(spans[1], row.number);
      setText(spans[2], row.state);
      setText(spans[3], row.days);
    });
    setHidden(overdueEmpty, rows.length > 0);
    setText(fields.overdue_total, overdue.total);
  }

  function show(data) {
    Object.keys(tiles).forEach(function (key) {
      setText(tiles[key], data.tiles[key]);
    });
    setText(fields.title, data.title);
    setText(fields.generated_at, data.generated_at);
    each(data.streets.rows, function (row) {
      var cells = streets[row.code];
      if (!cells) return; // a unit added since the page loaded appears on the next load
      setText(cells.today, row.today);
      setText(cells.month, row.month);
      setText(cells.good_rate, row.good_rate);
    });
    showFeed(data.feed);
    showOverdue(data.overdue);
    if (window.haochapingCharts) {
      Object.keys(CHARTS).forEach(function (key) {
        if (data.charts[key]) window.haochapingCharts.update(CHARTS[key], data.charts[key]);
      });
    }
  }

  function status(state) {
    setHidden(offline, state !== "offline");
    setHidden(login, state !== "login");
    body.setAttribute("data-state", state);
  }

  var timer = null;

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, refresh);
  }

  function poll() {
    var controller = window.AbortController ? new AbortController() : null;
    var abort = controller ? window.setTimeout(function () { controller.abort(); }, TIMEOUT) : null;
    window
      .fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual", // an expired login answers with a redirect to the sign-in page
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          return "login";
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json().then(function (data) {
          try {
            show(data);
          } catch (error) {
            if (window.console) window.console.error("screen: cannot show the data", error);
          }
          return "ok";
        });
      })
      .catch(function () {
        return "offline";
      })
      .then(function (state) {
        window.clearTimeout(abort);
        status(state);
        body.setAttribute("data-polls", String((parseInt(body.getAttribute("data-polls"), 10) || 0) + 1));
        schedule();
      });
  }

  tick();
  window.setInterval(tick, 1000);
  schedule();
})();
