/* 政务服务好差评 · 群众评价页. Progressive enhancement only: every page and the rating form work
   without this file. With it: the 大字 toggle switches in place (no reload, no lost input), only
   the reasons valid for the chosen level are shown, the text field gets a live counter, the
   error summary takes focus, and a second tap on "提交" does not send the form twice.
   Plain ES5 for the older phone browsers still common among elderly users. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.className += " js";

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  // --- 大字版 / 标准版 ------------------------------------------------------------------------
  function isBig() {
    return /(^|\s)big(\s|$)/.test(root.className);
  }
  each(document.querySelectorAll("[data-size-toggle]"), function (toggle) {
    // Without JavaScript it is a link that reloads the page; with it, a toggle button.
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-pressed", isBig() ? "true" : "false");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var big = !isBig();
      root.className = big ? root.className + " big" : root.className.replace(/(^|\s)big(?=\s|$)/g, "");
      document.cookie = "portal_big=" + (big ? "1" : "0") + "; path=/; max-age=31536000; samesite=lax";
      toggle.textContent = big ? toggle.getAttribute("data-label-normal") : toggle.getAttribute("data-label-big");
      toggle.setAttribute("aria-pressed", big ? "true" : "false");
      toggle.href = toggle.href.replace(/big=[01]/, "big=" + (big ? "0" : "1"));
    });
  });

  var form = document.getElementById("rating-form");
  if (!form) {
    return;
  }

  // --- reasons follow the chosen level ---------------------------------------------------------
  var levels = form.querySelectorAll("input[name=level]");
  var reasons = form.querySelectorAll("input[name=reasons]");
  var prompt = document.getElementById("reasons-pick-level");

  function chosenLevel() {
    for (var i = 0; i < levels.length; i++) {
      if (levels[i].checked) {
        return levels[i].value;
      }
    }
    return null;
  }

  function showReasons() {
    var level = chosenLevel();
    each(reasons, function (box) {
      var fits = level !== null && (" " + box.getAttribute("data-levels") + " ").indexOf(" " + level + " ") >= 0;
      // Disabled boxes are not sent: a reason ticked for another level cannot contradict this one.
      box.disabled = !fits;
      box.parentNode.hidden = !fits;
    });
    each(form.querySelectorAll(".reason-group, .reason-section"), function (group) {
      group.hidden = !group.querySelector(".chip-item:not([hidden])");
    });
    if (prompt) {
      prompt.hidden = level !== null;
    }
  }

  each(levels, function (radio) {
    radio.addEventListener("change", showReasons);
  });
  showReasons();

  // --- live length counter ---------------------------------------------------------------------
  var text = document.getElementById("id-text");
  var counter = document.getElementById("text-counter");
  if (text && counter) {
    var max = parseInt(counter.getAttribute("data-max"), 10);
    var count = function () {
      var n = text.value.replace(/\r\n/g, "\n").length;
      counter.textContent = "已输入 " + n + " / " + max + " 字" + (n >= max ? "（已达上限）" : "");
      counter.className = n >= max ? "counter counter-full" : "counter";
    };
    text.addEventListener("input", count);
    count();
  }

  // --- errors first, and one submit only -------------------------------------------------------
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
  }
  var submit = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      submit.disabled = true;
      submit.textContent = "正在提交…";
    }, 0);
  });
  window.addEventListener("pageshow", function () {
    // Back from the next page (bfcache): the form is usable again.
    if (submit && !submit.hasAttribute("data-staff")) {
      submit.disabled = false;
      submit.textContent = submit.getAttribute("data-label");
    }
  });
})();
