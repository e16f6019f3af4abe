/* The keying page: digits answer in printed order, Enter moves on and saves, each saved paper
   clears the form for the next without a reload. Without this script the same form posts. */
(function () {
  "use strict";
  var form = document.getElementById("keying");
  if (!form || !window.fetch) { return; }
  var sets = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-q]"));
  var status = document.getElementById("keying-status");
  var save = document.getElementById("save");
  var current = 0;
  var sending = false;

  function inputs(set) { return Array.prototype.slice.call(set.querySelectorAll("input")); }
  function chosen(id) {
    var set = document.getElementById("q-" + id);
    return set && !set.hidden ? inputs(set).filter(function (i) { return i.checked; }).map(function (i) { return i.value; }) : [];
  }
  function applies(set) {
    var when = set.getAttribute("data-when");
    if (!when) { return true; }
    return JSON.parse(when).every(function (c) {
      return chosen(c.question).some(function (v) { return c.any_of.indexOf(v) >= 0; });
    });
  }
  // The answer rules, in questionnaire order: a question that does not apply is hidden and
  // its answer dropped, as check_answers drops it on the server.
  function refresh() {
    sets.forEach(function (set) {
      var on = applies(set);
      set.hidden = !on;
      if (!on) { inputs(set).forEach(function (i) { i.checked = false; }); }
    });
  }
  function show(index) {
    while (index < sets.length && sets[index].hidden) { index += 1; }
    current = index;
    sets.forEach(function (set, i) { set.classList.toggle("current", i === index); });
    var target = index < sets.length ? inputs(sets[index])[0] : save;
    target.focus({ preventScroll: true });
    (index < sets.length ? sets[index] : save).scrollIntoView({ block: "center" });
  }
  function back() {
    var index = current - 1;
    while (index > 0 && sets[index].hidden) { index -= 1; }
    show(Math.max(index, 0));
  }
  function press(digit) {
    var set = sets[current];
    var box = inputs(set)[digit - 1];
    if (!box) { return; }
    if (set.getAttribute("data-kind") === "multiple") {
      box.checked = !box.checked;
      if (box.checked) {
        // The exclusive option (不存在以上情况) stands alone, as on the citizen's page.
        inputs(set).forEach(function (other) {
          if (other !== box && (box.dataset.exclusive || other.dataset.exclusive)) { other.checked = false; }
        });
      }
      refresh();
      box.focus({ preventScroll: true });
      return;
    }
    box.checked = true;
    refresh();
    show(current + 1);
  }
  function say(text) { status.textContent = text; }

  function send() {
    if (sending) { return; }
    sending = true;
    say("正在保存…");
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    }).then(function (answer) {
      sending = false;
      if (answer.ok) { saved(answer.data); return; }
      if (answer.status === 422) {
        var first = answer.data.errors[0];
        say("这一份有 " + answer.data.errors.length + " 处需要修改：" + answer.data.errors.map(function (e) { return e.message; }).join("；"));
        var index = sets.indexOf(document.getElementById("q-" + first.question));
        show(index >= 0 ? index : 0);
        return;
      }
      say(answer.data.error ? answer.data.error.message : "保存失败，请刷新页面后重试。");
    }).catch(function () {
      sending = false;
      say("网络故障，这一份还没有保存，请再按回车重试。");
    });
  }
  function saved(data) {
    document.getElementById("count").textContent = data.count;
    document.getElementById("last").hidden = false;
    document.getElementById("last-text").textContent = data.last_text;
    document.getElementById("void-id").value = data.last;
    var link = document.getElementById("correct-link");
    link.href = link.href.split("?")[0] + "?correct=" + encodeURIComponent(data.last);
    form.elements.entry_id.value = data.next;
    form.elements.correct.value = "";
    sets.forEach(function (set) { inputs(set).forEach(function (i) { i.checked = false; }); });
    refresh();
    say("已保存第 " + data.count + " 份。请录入下一份。");
    show(0);
  }

  form.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (current < sets.length && /^[1-9]$/.test(key)) {
      event.preventDefault();
      press(Number(key));
    } else if (key === "Enter") {
      event.preventDefault();
      if (current >= sets.length) { send(); } else { show(current + 1); }
    } else if (key === "Backspace") {
      event.preventDefault();
      back();
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
  form.addEventListener("focusin", function (event) {
    var index = sets.indexOf(event.target.closest("fieldset[data-q]"));
    if (index >= 0 && index !== current) { current = index; sets.forEach(function (set, i) { set.classList.toggle("current", i === index); }); }
    if (event.target === save) { current = sets.length; sets.forEach(function (set) { set.classList.remove("current"); }); }
  });
  form.addEventListener("change", refresh);
  refresh();
  show(0);
}());
