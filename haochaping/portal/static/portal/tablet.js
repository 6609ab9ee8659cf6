/* 政务服务好差评 · 窗口评价器 (window tablet). Drives the four screens of /tablet/:
   pairing → idle → rating → thank-you → idle.

   What the browser keeps (localStorage of this origin; nothing in cookies):
     haochaping.tablet.credential  the device credential from pairing, sent as the X-Device-Credential
                                   header on every call (the server keeps only its hash)
     haochaping.tablet.device      {id, name, window, place}: the idle screen shows the window at once
     haochaping.tablet.queue       ratings not yet acknowledged by the server, oldest first
     haochaping.tablet.dismissed   requests already answered or timed out here (never shown again)
     haochaping.tablet.failed      the last 50 ratings the server refused for good (409/422/404/400),
                                   for a technician; they are also written to the console log

   Never lose, never double: a rating is first written to the queue, then the thank-you screen is
   shown, then the queue is sent, one item at a time, with the client_key made for that rating.
   An item leaves the queue only when the server answers 201 (stored) or 200 (a replay of a
   stored rating: same client_key), or refuses it for good. A network failure, a 5xx, a revoked
   credential or a console session in this browser keep it queued; the queue is retried every
   few seconds and whenever the browser comes back online, and "待上传 N 条" shows for staff.

   The poll (GET /tablet/next every second) is also the heartbeat. No countdown is ever shown:
   the rating screen quietly returns to idle after the configured time without a touch.
   Plain ES5 and XMLHttpRequest, for the older Android tablets common in service halls. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("tablet-config").textContent);
  var KEY = {
    credential: "haochaping.tablet.credential",
    device: "haochaping.tablet.device",
    queue: "haochaping.tablet.queue",
    dismissed: "haochaping.tablet.dismissed",
    failed: "haochaping.tablet.failed"
  };
  var WEEKDAYS = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];

  function $(id) {
    return document.getElementById(id);
  }
  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }
  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // --- storage (a memory fallback where localStorage is blocked) ---------------------------------
  var memory = {};
  function load(key, fallback) {
    var raw = null;
    try {
      raw = window.localStorage.getItem(key);
    } catch (e) {
      raw = memory.hasOwnProperty(key) ? memory[key] : null;
    }
    if (raw === null) {
      return fallback;
    }
    try {
      return JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function save(key, value) {
    var raw = JSON.stringify(value);
    memory[key] = raw;
    try {
      window.localStorage.setItem(key, raw);
    } catch (e) {
      /* memory only */
    }
  }
  function forget(key) {
    delete memory[key];
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* memory only */
    }
  }

  // --- HTTP ----------------------------------------------------------------------------------------
  function call(method, url, body, done, asBlob) {
    var xhr = new XMLHttpRequest();
    var finished = false;
    function finish(status) {
      if (finished) {
        return;
      }
      finished = true;
      var data = null;
      if (asBlob) {
        data = status === 200 ? xhr.response : null;
      } else if (status) {
        try {
          data = JSON.parse(xhr.responseText);
        } catch (e) {
          data = null;
        }
      }
      done(status, data);
    }
    xhr.open(method, url, true);
    xhr.timeout = 8000;
    if (asBlob) {
      xhr.responseType = "blob";
    }
    var credential = load(KEY.credential, null);
    if (credential) {
      xhr.setRequestHeader(cfg.header, credential);
    }
    if (body !== null) {
      xhr.setRequestHeader("Content-Type", "application/json");
    }
    xhr.onload = function () {
      finish(xhr.status);
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
      finish(0);
    };
    xhr.send(body === null ? null : JSON.stringify(body));
  }
  function errorCode(data) {
    return data && data.error ? data.error.code : "";
  }
  function errorMessage(data, fallback) {
    return data && data.error && data.error.message ? data.error.message : fallback;
  }

  // --- screens -------------------------------------------------------------------------------------
  var state = "";
  function show(name) {
    state = name;
    each(["pair", "idle", "rate", "thanks"], function (screen) {
      $("screen-" + screen).hidden = screen !== name;
    });
    document.body.setAttribute("data-screen", name);
  }

  var noticeTimer = null;
  function notice(text) {
    var box = $("notice");
    box.textContent = text;
    box.hidden = !text;
    window.clearTimeout(noticeTimer);
    if (text) {
      noticeTimer = window.setTimeout(function () {
        box.hidden = true;
      }, 15000);
    }
  }

  // --- clock (server time, so that a tablet with a wrong clock still shows the right one) ---------
  var serverOffset = 0;
  function serverNow() {
    return new Date(Date.now() + serverOffset);
  }
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function tick() {
    var now = serverNow();
    $("clock-time").textContent = pad(now.getHours()) + ":" + pad(now.getMinutes());
    $("clock-date").textContent =
      now.getFullYear() + "年" + (now.getMonth() + 1) + "月" + now.getDate() + "日 " + WEEKDAYS[now.getDay()];
  }

  // --- device --------------------------------------------------------------------------------------
  function showDevice(device) {
    if (!device) {
      return;
    }
    $("idle-window").textContent = device.window || device.name || "";
    $("idle-place").textContent = device.place || "";
  }

  // The idle screen's state from the poll: 暂停服务 (set by the clerk on the console: no rating
  // is offered) and the window's staff on duty (photo, name, 工号). Redrawn only when it changes.
  var shownState = "";
  var staffPhotoUrls = [];
  function showState(st) {
    if (!st) {
      return;
    }
    var key = JSON.stringify(st);
    if (key === shownState) {
      return;
    }
    shownState = key;
    $("idle-paused").hidden = !st.paused;
    $("idle-serving").hidden = !!st.paused;
    document.body.setAttribute("data-paused", st.paused ? "1" : "0");
    each(staffPhotoUrls, function (url) {
      window.URL.revokeObjectURL(url);
    });
    staffPhotoUrls = [];
    var list = $("idle-staff");
    list.textContent = "";
    each(st.staff || [], function (person) {
      var item = make("li", "staff-card");
      var photo = make("div", "staff-photo");
      var img = make("img");
      img.alt = person.name + "的照片";
      img.hidden = true;
      photo.appendChild(img);
      photo.appendChild(make("span", "staff-initial", person.name.slice(0, 1)));
      item.appendChild(photo);
      item.appendChild(make("span", "staff-name", person.name));
      item.appendChild(make("span", "staff-no", "工号 " + person.staff_no));
      list.appendChild(item);
      if (person.photo && window.URL && window.URL.createObjectURL) {
        call("GET", person.photo, null, function (status, blob) {
          if (status === 200 && blob) {
            var url = window.URL.createObjectURL(blob);
            staffPhotoUrls.push(url);
            img.src = url;
            img.hidden = false;
            photo.className = "staff-photo has-photo";
          }
        }, true);
      }
    });
    list.hidden = !(st.staff && st.staff.length);
  }

  var online = null;
  function setOnline(isOnline) {
    if (online === isOnline) {
      return;
    }
    online = isOnline;
    var net = $("net-status");
    net.hidden = isOnline;  // only a problem is worth the citizen's attention
    net.className = "status-net" + (isOnline ? "" : " offline");
    net.textContent = isOnline ? "" : "网络中断";
    if (isOnline) {
      flush();
    }
  }

  // --- pairing -------------------------------------------------------------------------------------
  function showPairing(message) {
    stopRating();
    show("pair");
    var error = $("pair-error");
    error.textContent = message || "";
    error.hidden = !message;
    $("pair-code").value = "";
  }

  function unpair(message) {
    forget(KEY.credential);
    showPairing(message);
  }

  function pair(event) {
    event.preventDefault();
    var input = $("pair-code");
    var code = input.value.replace(/[\s-]+/g, "");
    var error = $("pair-error");
    if (!/^\d{8}$/.test(code)) {
      error.textContent = "请输入 8 位数字配对码";
      error.hidden = false;
      return;
    }
    var button = $("pair-submit");
    button.disabled = true;
    button.textContent = "正在配对…";
    forget(KEY.credential);
    call("POST", cfg.urls.pair, { code: code }, function (status, data) {
      button.disabled = false;
      button.textContent = "配对";
      if (status === 201 && data && data.credential) {
        save(KEY.credential, data.credential);
        save(KEY.device, data.device);
        showDevice(data.device);
        toIdle();
        start();
        return;
      }
      error.textContent = status ? errorMessage(data, "配对失败，请重试") : "网络连接失败，请检查网络后重试";
      error.hidden = false;
      input.value = "";
      input.focus();
    });
  }

  function setupKeypad() {
    var input = $("pair-code");
    function caretToEnd() {
      try {
        input.setSelectionRange(input.value.length, input.value.length);
      } catch (e) {
        /* not supported for this input type */
      }
    }
    each(document.querySelectorAll(".key"), function (key) {
      key.addEventListener("click", function () {
        var value = key.getAttribute("data-key");
        if (value === "clear") {
          input.value = "";
        } else if (value === "back") {
          input.value = input.value.slice(0, -1);
        } else if (input.value.length < 8) {
          input.value += value;
        }
        caretToEnd(); // typing on a keyboard goes after what the keypad entered
      });
    });
    // The code may be pasted as the console displays it ("9946 5374", or "9946-5374"): the
    // field takes up to 17 characters and keeps only the digits, so nothing is cut off first.
    input.addEventListener("input", function () {
      input.value = input.value.replace(/\D/g, "").slice(0, 8);
    });
    input.addEventListener("focus", caretToEnd);
    input.addEventListener("click", caretToEnd); // the digits are centred: a tap lands mid-code
    $("pair-form").addEventListener("submit", pair);
  }

  // --- requests already handled here -----------------------------------------------------------------
  function dismissed(id) {
    return load(KEY.dismissed, []).indexOf(id) >= 0;
  }
  function dismiss(id) {
    var ids = load(KEY.dismissed, []);
    if (ids.indexOf(id) < 0) {
      ids.push(id);
      save(KEY.dismissed, ids.slice(-50));
    }
  }

  // --- the poll --------------------------------------------------------------------------------------
  var running = false;
  var lastSeen = null; // id of the request whose full payload the server last sent

  function start() {
    if (running) {
      return;
    }
    running = true;
    poll();
  }

  function poll() {
    if (!load(KEY.credential, null)) {
      running = false;
      return;
    }
    var url = cfg.urls.next + (lastSeen !== null ? "?known=" + lastSeen : "");
    call("GET", url, null, function (status, data) {
      if (status === 200 && data) {
        setOnline(true);
        handleNext(data);
      } else if (status === 401 || (status === 403 && errorCode(data) === "not_a_tablet")) {
        running = false;
        unpair(errorMessage(data, "设备凭据无效") + "。请联系管理员在“评价设备”页面重新生成配对码。");
        return;
      } else {
        setOnline(false);
      }
      window.setTimeout(poll, cfg.pollMs);
    });
  }

  function handleNext(data) {
    var parsed = Date.parse(data.now);
    if (!isNaN(parsed)) {
      serverOffset = parsed - Date.now();
    }
    if (data.device && JSON.stringify(data.device) !== JSON.stringify(load(KEY.device, null))) {
      showDevice(data.device);
      save(KEY.device, data.device);
    }
    showState(data.state);
    var request = data.request;
    if (!request) {
      lastSeen = null;
      if (state === "rate" && !touched) {
        toIdle(); // withdrawn, replaced or expired before anybody touched the screen
      }
      return;
    }
    if (request.unchanged) {
      return;
    }
    lastSeen = request.id;
    if (dismissed(request.id)) {
      return;
    }
    if (state === "idle" || (state === "rate" && !touched && current && current.id !== request.id)) {
      showRating(request);
    }
    // Otherwise somebody is rating (or being thanked): the newer request is shown on return to idle.
  }

  // --- idle ----------------------------------------------------------------------------------------
  function toIdle() {
    stopRating();
    lastSeen = null; // ask for the full request again: one that waited is shown now
    show("idle");
    tick();
  }

  // --- rating --------------------------------------------------------------------------------------
  var current = null; // the request on screen
  var chosen = { level: null, reasons: [], dimensions: {} };
  var touched = false;
  var idleTimer = null;
  var photoUrl = null;

  function stopRating() {
    window.clearTimeout(idleTimer);
    current = null;
    touched = false;
  }

  function restartIdleTimer() {
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () {
      if (state === "rate" && current) {
        dismiss(current.id); // nobody rated: back to idle, without showing this request again
        toIdle();
      }
    }, cfg.idleSeconds * 1000);
  }

  function interacted() {
    if (state === "rate") {
      touched = true;
      restartIdleTimer();
    }
  }

  function showPhoto(url) {
    var img = $("clerk-photo");
    var avatar = $("clerk-avatar");
    if (photoUrl) {
      window.URL.revokeObjectURL(photoUrl);
      photoUrl = null;
    }
    img.hidden = true;
    avatar.style.display = "";
    if (!url || !window.URL || !window.URL.createObjectURL) {
      return;
    }
    var forRequest = current && current.id;
    call("GET", url, null, function (status, blob) {
      if (status !== 200 || !blob || !current || current.id !== forRequest) {
        return;
      }
      photoUrl = window.URL.createObjectURL(blob);
      img.src = photoUrl;
      img.hidden = false;
      avatar.style.display = "none";
    }, true);
  }

  function levelTone(value) {
    for (var i = 0; i < cfg.levels.length; i++) {
      if (cfg.levels[i].value === value) {
        return cfg.levels[i].tone;
      }
    }
    return "neutral";
  }

  function buildLevels() {
    var box = $("levels");
    box.textContent = "";
    each(cfg.levels, function (level) {
      var button = make("button", "level level-" + level.tone, level.label);
      button.type = "button";
      button.setAttribute("data-level", level.value);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        chosen.level = level.value;
        each(box.querySelectorAll(".level"), function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        renderReasons();
        validate();
      });
      box.appendChild(button);
    });
  }

  function buildDimensions() {
    var rows = $("dim-rows");
    rows.textContent = "";
    each(cfg.dimensions, function (dim) {
      var row = make("div", "dim-row");
      var label = make("span", "dim-label", dim.label);
      label.id = "dim-" + dim.name;
      var group = make("div", "dim-levels");
      group.setAttribute("role", "group");
      group.setAttribute("aria-labelledby", label.id);
      each(cfg.levels, function (level) {
        var button = make("button", "dim-level", level.label);
        button.type = "button";
        button.setAttribute("aria-label", dim.label + "：" + level.label);
        button.setAttribute("aria-pressed", "false");
        button.addEventListener("click", function () {
          var again = chosen.dimensions[dim.name] === level.value; // a second tap clears it
          chosen.dimensions[dim.name] = again ? null : level.value;
          each(group.querySelectorAll(".dim-level"), function (other) {
            other.setAttribute("aria-pressed", other === button && !again ? "true" : "false");
          });
        });
        group.appendChild(button);
      });
      row.appendChild(label);
      row.appendChild(group);
      rows.appendChild(row);
    });
  }

  function renderReasons() {
    var box = $("reasons");
    box.textContent = "";
    var level = chosen.level;
    var fitting = [];
    each(current.reasons, function (reason) {
      if (reason.levels.indexOf(level) >= 0) {
        fitting.push(reason);
      }
    });
    // Reasons ticked for another level cannot contradict this one.
    chosen.reasons = chosen.reasons.filter(function (code) {
      return fitting.some(function (reason) {
        return reason.code === code;
      });
    });
    var groups = {};
    var order = [];
    each(fitting, function (reason) {
      if (!groups[reason.group]) {
        groups[reason.group] = [];
        order.push(reason.group);
      }
      groups[reason.group].push(reason);
    });
    each(order, function (name) {
      var group = make("div", "reason-group");
      group.appendChild(make("div", "group-title", name));
      var chips = make("div", "chips");
      each(groups[name], function (reason) {
        var chip = make("button", "chip", reason.text);
        chip.type = "button";
        chip.setAttribute("data-code", reason.code);
        chip.setAttribute("aria-pressed", chosen.reasons.indexOf(reason.code) >= 0 ? "true" : "false");
        chip.addEventListener("click", function () {
          var at = chosen.reasons.indexOf(reason.code);
          if (at >= 0) {
            chosen.reasons.splice(at, 1);
          } else {
            chosen.reasons.push(reason.code);
          }
          chip.setAttribute("aria-pressed", at >= 0 ? "false" : "true");
          validate();
        });
        chips.appendChild(chip);
      });
      group.appendChild(chips);
      box.appendChild(group);
    });
    $("reasons-block").hidden = level === null || !fitting.length;
  }

  function textValue() {
    return $("rate-text").value.replace(/\r\n/g, "\n").replace(/^\s+|\s+$/g, "");
  }

  function countText() {
    var n = $("rate-text").value.replace(/\r\n/g, "\n").length;
    $("text-count").textContent = "已输入 " + n + " / " + cfg.maxText + " 字";
  }

  function validate() {
    var need = "";
    if (chosen.level === null) {
      need = "请选择总体评价";
    } else if (cfg.badLevels.indexOf(chosen.level) >= 0 && !chosen.reasons.length && !textValue()) {
      need = "请至少选择一项评价理由，或在下方填写意见建议";
    }
    $("rate-need").textContent = need;
    $("rate-need").className = "need" + (chosen.level === null ? "" : " need-reason"); // a hint, not an alarm
    $("rate-submit").disabled = need !== "";
    return need === "";
  }

  function showRating(request) {
    stopRating();
    current = request;
    chosen = { level: null, reasons: [], dimensions: {} };
    var staff = request.staff;
    $("clerk-name").textContent = staff ? staff.name : "窗口工作人员";
    $("clerk-no").textContent = staff ? staff.staff_no : "—";
    $("clerk-no").parentNode.hidden = !staff;
    $("svc-window").textContent = $("idle-window").textContent;
    $("svc-item").textContent = request.service.item;
    $("svc-stage").textContent = request.service.stage;
    var day = request.service.served_on.split("-");
    $("svc-date").textContent = +day[0] + "年" + +day[1] + "月" + +day[2] + "日";
    buildLevels();
    buildDimensions();
    $("dims").open = false;
    $("rate-text").value = "";
    countText();
    renderReasons();
    validate();
    var submit = $("rate-submit");
    submit.textContent = "提交评价";
    show("rate");
    $("rate-body").scrollTop = 0;
    showPhoto(staff && staff.photo);
    restartIdleTimer();
  }

  function newClientKey() {
    var device = load(KEY.device, {}) || {};
    var random = "";
    if (window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint32Array(2);
      window.crypto.getRandomValues(bytes);
      random = bytes[0].toString(36) + bytes[1].toString(36);
    } else {
      random = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
    }
    return ("t" + (device.id || 0) + "-" + Date.now().toString(36) + "-" + random).slice(0, 64);
  }

  function submitRating(event) {
    event.preventDefault();
    if (state !== "rate" || !current || !validate()) {
      return;
    }
    $("rate-submit").disabled = true;
    var dimensions = {};
    each(cfg.dimensions, function (dim) {
      if (chosen.dimensions[dim.name]) {
        dimensions[dim.name] = chosen.dimensions[dim.name];
      }
    });
    var item = {
      record_id: current.record_id,
      level: chosen.level,
      reasons: chosen.reasons.slice(),
      text: textValue().slice(0, cfg.maxText),
      dimensions: dimensions,
      client_key: newClientKey(),
      evaluated_at: serverNow().toISOString(),
      request_id: current.id
    };
    var queue = load(KEY.queue, []);
    queue.push(item); // first kept, then thanked, then sent
    save(KEY.queue, queue);
    dismiss(current.id);
    var bad = cfg.badLevels.indexOf(item.level) >= 0;
    stopRating();
    $("thanks-good").hidden = bad;
    $("thanks-bad").hidden = !bad;
    show("thanks");
    renderQueue();
    flush();
    window.setTimeout(function () {
      if (state === "thanks") {
        toIdle();
      }
    }, cfg.thanksSeconds * 1000);
  }

  // --- the offline queue -----------------------------------------------------------------------------
  var sending = false;

  function renderQueue() {
    var n = load(KEY.queue, []).length;
    $("queue-count").textContent = n;
    $("queue-status").hidden = n === 0;
  }

  function removeQueued(clientKey) {
    save(KEY.queue, load(KEY.queue, []).filter(function (item) {
      return item.client_key !== clientKey;
    }));
  }

  function logFailed(item, status, data) {
    var entry = { at: new Date().toISOString(), status: status, error: data && data.error, item: item };
    if (window.console && window.console.warn) {
      window.console.warn("评价未被受理（已从待上传队列移除）", entry);
    }
    var failed = load(KEY.failed, []);
    failed.push(entry);
    save(KEY.failed, failed.slice(-50));
  }

  function flush() {
    if (sending || !load(KEY.credential, null)) {
      renderQueue();
      return;
    }
    var queue = load(KEY.queue, []);
    if (!queue.length) {
      renderQueue();
      return;
    }
    var item = queue[0];
    sending = true;
    call("POST", cfg.urls.rate, item, function (status, data) {
      sending = false;
      if (status === 200 || status === 201) {
        removeQueued(item.client_key); // 200: the server already had it (same client_key)
        setOnline(true);
        renderQueue();
        flush();
      } else if (status === 409 || status === 422 || status === 404 || status === 400) {
        logFailed(item, status, data); // refused for good: retrying cannot help
        removeQueued(item.client_key);
        renderQueue();
        flush();
      } else if (status === 403 && errorCode(data) === "staff_session") {
        notice(errorMessage(data, "工作人员不能代替群众评价"));
        renderQueue();
      } else {
        if (!status) {
          setOnline(false);
        }
        renderQueue(); // kept: retried by the timer, or when the network returns
      }
    });
  }

  // --- wiring ----------------------------------------------------------------------------------------
  function setupRating() {
    var screen = $("screen-rate");
    // Not "scroll": showing the next request resets the scroll position, which is not a touch.
    each(["pointerdown", "touchstart", "mousedown", "keydown", "input", "wheel"], function (name) {
      screen.addEventListener(name, interacted, true);
    });
    $("rate-text").setAttribute("maxlength", cfg.maxText);
    $("rate-text").addEventListener("input", function () {
      countText();
      validate();
    });
    $("rate-form").addEventListener("submit", submitRating);
  }

  function setupFullscreen() {
    var root = document.documentElement;
    var request = root.requestFullscreen || root.webkitRequestFullscreen;
    var button = $("fullscreen");
    if (!request) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      request.call(root);
    });
  }

  setupKeypad();
  setupRating();
  setupFullscreen();
  renderQueue();
  window.setInterval(function () {
    if (state === "idle") {
      tick();
    }
  }, 1000);
  window.setInterval(flush, cfg.retrySeconds * 1000);
  window.addEventListener("online", flush);

  if (load(KEY.credential, null)) {
    showDevice(load(KEY.device, null));
    toIdle();
    start();
  } else {
    showPairing("");
  }
})();
