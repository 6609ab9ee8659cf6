/* 政务服务好差评 · 扫码评价、我的评价、自助终端. Progressive enhancement only (every page works
   without it): the button to get another SMS code counts down its wait; on a
   kiosk page ([data-kiosk]) the terminal returns to the start after data-idle seconds without
   a touch, key or scroll, announcing it data-warn seconds before with a button to stay; the
   return submits "退出" so nothing of the previous person stays on the terminal. Plain ES5. */
(function () {
  "use strict";
  // The button to get another SMS code waits out the per-phone interval (data-wait seconds)
  // with a countdown; the code field above it stays usable all along.
  var resend = document.querySelector("[data-wait]");
  if (resend) {
    var until = Date.now() + (parseInt(resend.getAttribute("data-wait"), 10) || 0) * 1000;
    var label = resend.getAttribute("data-label");
    var hint = document.getElementById("resend-hint");
    var tick = function () {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        resend.disabled = true;
        resend.textContent = left + " 秒后可重新获取";
        window.setTimeout(tick, 500);
      } else {
        resend.disabled = false;
        resend.textContent = label;
        if (hint) {
          hint.hidden = true;
        }
      }
    };
    tick();
  }
})();

(function () {
  "use strict";
  var kiosk = document.querySelector("[data-kiosk]");
  if (!kiosk) {
    return;
  }
  var idle = parseInt(kiosk.getAttribute("data-idle"), 10) || 180;
  var warnFor = Math.min(parseInt(kiosk.getAttribute("data-warn"), 10) || 30, idle);
  var start = kiosk.getAttribute("data-start");
  var warn = document.getElementById("kiosk-warn");
  var seconds = document.getElementById("kiosk-warn-seconds");
  var stay = document.getElementById("kiosk-stay");
  var reset = document.getElementById("kiosk-reset");
  var last = Date.now();
  var leaving = false;

  function activity() {
    last = Date.now();
    if (warn && !warn.hidden) {
      warn.hidden = true;
    }
  }
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true, capture: true });
  });
  if (stay) {
    stay.addEventListener("click", activity);
  }

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    if (reset) {
      var next = document.createElement("input");
      next.type = "hidden";
      next.name = "timeout";
      next.value = "1";
      reset.appendChild(next);
      reset.submit();
    } else {
      window.location.href = start;
    }
  }

  window.setInterval(function () {
    var left = idle - Math.floor((Date.now() - last) / 1000);
    if (left <= 0) {
      leave();
    } else if (left <= warnFor && warn) {
      warn.hidden = false;
      if (seconds) {
        seconds.textContent = String(left);
      }
    }
  }, 500);
})();

(function () {
  "use strict";
  // The kiosk's 办件编号 field and a keyboard-wedge scanner: the scanner types the receipt QR's
  // content (a rating link ".../r/<token>" or a plain 办件编号) and presses Enter. A link is
  // submitted at once (the server reads the 办件编号 from it and asks for the name); Enter after
  // a plain number moves on to the name field while that is still empty, instead of
  // submitting a half-filled form.
  var field = document.querySelector("[data-scan-target]");
  var next = document.getElementById("id-who");
  if (!field || !next) {
    return;
  }
  field.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.keyCode !== 13) {
      return;
    }
    if (field.value.indexOf("/r/") >= 0) {
      return; // a scanned link: the form is sent as it is
    }
    if (!next.value.replace(/\s+/g, "")) {
      event.preventDefault();
      field.value = field.value.replace(/\s+/g, "");
      next.focus();
    }
  });
})();
