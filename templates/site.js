// manyi pages, enhanced: conditional questions, exclusive options, inline errors, sending by
// fetch with retries. Loaded as a module, so a browser too old to run it never starts it and
// keeps the plain form, which works on its own. Written to ES2017 (no ?. or ??) for old
// in-app browsers that do run modules.
const MESSAGES = /*ANSWER_MESSAGES*/{};
const PAGE = /*PAGE_MESSAGES*/{};

const LARGE_KEY = "manyi:large";
const MAX_DELAY_MS = 60000;
// The collector takes at most a day (manyi.submission.MAX_SECONDS): beyond, the page sat open.
const MAX_SECONDS = 86400;
// Kept in the form page's own history entry once its answers are stored: Back to that entry
// (from the browser's cache or reloaded) then says so and offers 再填一份, instead of the filled
// form ready for a second, accidental send. A new visit of the page is a new entry: blank.
const SENT_STATE = "manyiSent";

// Storage may be missing, full or wiped by the in-app browser: a draft is a convenience only.
const store = {
  get(key) {
    try {
      const value = window.localStorage.getItem(key);
      return value ? JSON.parse(value) : null;
    } catch (error) {
      return null;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // Nothing to do: the answers are still on the page.
    }
  },
  remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      // As above.
    }
  },
};

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
}

function newSubmissionId() {
  const bytes = new Uint8Array(16);
  if (window.crypto && window.crypto.getRandomValues) {
    window.crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.prototype.map.call(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
}

function rememberLargeText() {
  const box = document.getElementById("large-text");
  if (!box) return;
  if (store.get(LARGE_KEY)) box.checked = true;
  box.addEventListener("change", () => {
    if (box.checked) store.set(LARGE_KEY, 1);
    else store.remove(LARGE_KEY);
  });
}

function enableDirectoryFilter() {
  const input = document.getElementById("filter");
  if (!input) return;
  const items = Array.from(document.querySelectorAll("li[data-name]"));
  const groups = Array.from(document.querySelectorAll(".group"));
  const count = document.getElementById("filter-count");
  input.parentNode.classList.add("on");
  input.addEventListener("input", () => {
    const needle = input.value.trim();
    let shown = 0;
    items.forEach((item) => {
      item.hidden = needle !== "" && item.getAttribute("data-name").indexOf(needle) < 0;
      if (!item.hidden) shown += 1;
    });
    groups.forEach((group) => {
      group.hidden = !group.querySelector("li[data-name]:not([hidden])");
    });
    count.textContent = needle ? format(PAGE.filter_count, { count: shown }) : "";
  });
}

// The answer rules of manyi.answers.check_answers, for what a page can send: same order, same
// codes, same words.
class Survey {
  constructor(form) {
    this.form = form;
    this.questions = Array.from(form.querySelectorAll("fieldset[data-question]"));
    this.status = document.getElementById("status");
    this.problems = document.getElementById("problems");
    this.button = form.querySelector("button[type=submit]");
    this.meta = {};
    ["department", "version", "channel"].forEach((name) => {
      this.meta[name] = form.elements[name].value;
    });
    this.draftKey = "manyi:draft:" + this.meta.department + ":" + this.meta.channel;
    this.submissionId = null;
    // When the first answer was given: the office sees how fast a department's responses were
    // filled in (a page without this script sends no time at all).
    this.startedAt = null;
    this.sending = false;
    this.wake = null;
    this.wired = false;
  }

  start() {
    this.form.setAttribute("novalidate", "");
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.showIfSent();
    });
    if (this.showIfSent()) return;
    const draft = store.get(this.draftKey);
    if (draft && !this.anyChecked()) this.restore(draft);
    this.wire();
    if (draft && draft.pending) this.submit();
  }

  wire() {
    if (this.wired) return;
    this.wired = true;
    this.update();
    this.form.addEventListener("change", (event) => this.changed(event.target));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    window.addEventListener("online", () => this.wakeUp());
  }

  showIfSent() {
    const state = window.history.state;
    if (!state || !state[SENT_STATE]) return false;
    this.clear();
    this.say("");
    this.showErrors([]);
    this.form.hidden = true;
    let panel = document.getElementById("sent");
    if (!panel) {
      panel = document.createElement("div");
      panel.id = "sent";
      panel.className = "sent";
      panel.setAttribute("role", "status");
      panel.tabIndex = -1;
      const words = document.createElement("p");
      words.textContent = PAGE.submitted;
      const again = document.createElement("button");
      again.type = "button";
      again.textContent = PAGE.again;
      again.addEventListener("click", () => this.fillAgain(panel));
      const hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = PAGE.again_hint;
      panel.appendChild(words);
      panel.appendChild(again);
      panel.appendChild(hint);
      this.form.parentNode.insertBefore(panel, this.form);
    }
    panel.hidden = false;
    panel.focus();
    return true;
  }

  // 再填一份: a blank form, a new submission ID, and this entry no longer marked as sent.
  fillAgain(panel) {
    try {
      window.history.replaceState(null, "");
    } catch (error) {
      // A browser that refuses keeps the mark; the form is blank all the same.
    }
    this.submissionId = null;
    this.startedAt = null;
    this.clear();
    panel.hidden = true;
    this.form.hidden = false;
    this.wire();
    this.update();
    const first = this.form.querySelector("fieldset[data-question] input");
    if (first) first.focus();
  }

  markSent() {
    try {
      const state = {};
      state[SENT_STATE] = this.submissionId;
      window.history.replaceState(state, "");
    } catch (error) {
      // Without it, Back shows a blank form (autocomplete=off, no draft): still no second send.
    }
  }

  clear() {
    this.questions.forEach((fieldset) => {
      this.inputs(fieldset).forEach((input) => {
        input.checked = false;
      });
    });
  }

  anyChecked() {
    return this.form.querySelector("fieldset[data-question] input:checked") !== null;
  }

  restore(draft) {
    const answers = draft.answers || {};
    this.questions.forEach((fieldset) => {
      const given = answers[fieldset.getAttribute("data-question")];
      const chosen = Array.isArray(given) ? given : given ? [given] : [];
      this.inputs(fieldset).forEach((input) => {
        input.checked = chosen.indexOf(input.value) >= 0;
      });
    });
    this.submissionId = draft.id || null;
    if (this.anyChecked()) this.say(PAGE.resumed);
  }

  inputs(fieldset) {
    return Array.from(fieldset.querySelectorAll("input"));
  }

  changed(input) {
    const fieldset = input.closest("fieldset[data-question]");
    if (!fieldset) return;
    if (this.startedAt === null) this.startedAt = Date.now();
    if (input.type === "checkbox" && input.checked) {
      // An exclusive option (不存在以上情况) and the others cannot be chosen together.
      this.inputs(fieldset).forEach((other) => {
        if (other !== input && (input.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
          other.checked = false;
        }
      });
    }
    const result = this.update();
    if (fieldset.hasAttribute("aria-describedby")) {
      const error = result.errors.filter((e) => e.field === fieldset.getAttribute("data-question"))[0];
      this.showError(fieldset, error ? error.message : null);
    }
    this.saveDraft(result.answers, false);
  }

  // Walk the questions in order, as the server does: a condition sees the answers above it.
  check() {
    const answers = {};
    const errors = [];
    this.questions.forEach((fieldset) => {
      const id = fieldset.getAttribute("data-question");
      if (!this.applies(fieldset, answers)) return;
      const inputs = this.inputs(fieldset);
      const chosen = inputs.filter((i) => i.checked).map((i) => i.value);
      if (chosen.length === 0) {
        if (fieldset.hasAttribute("data-required")) errors.push(this.error(id, "required"));
        return;
      }
      const single = fieldset.getAttribute("data-kind") === "single";
      if (single && chosen.length > 1) {
        errors.push(this.error(id, "single_choice"));
        return;
      }
      const exclusive = inputs.filter((i) => i.checked && i.hasAttribute("data-exclusive"))[0];
      if (exclusive && chosen.length > 1) {
        errors.push(this.error(id, "exclusive", { option: exclusive.parentNode.textContent.trim() }));
        return;
      }
      answers[id] = single ? chosen[0] : chosen;
    });
    return { answers, errors };
  }

  applies(fieldset, answers) {
    const holders = [fieldset, fieldset.closest("section")];
    return holders.every((holder) => {
      if (!holder || !holder.hasAttribute("data-when")) return true;
      const given = answers[holder.getAttribute("data-when")];
      if (given === undefined) return false;
      const chosen = Array.isArray(given) ? given : [given];
      const wanted = holder.getAttribute("data-when-any").split(" ");
      return chosen.some((option) => wanted.indexOf(option) >= 0);
    });
  }

  error(field, code, values) {
    return { field, code, message: format(MESSAGES[code], values || {}) };
  }

  // Show what applies, hide (and disable, so it is never sent) what does not.
  update() {
    const result = this.check();
    const seen = {};
    this.questions.forEach((fieldset) => {
      const applies = this.applies(fieldset, result.answers);
      fieldset.hidden = !applies;
      fieldset.disabled = !applies;
      const section = fieldset.closest("section");
      seen[section.id] = seen[section.id] || applies;
    });
    Object.keys(seen).forEach((id) => {
      document.getElementById(id).hidden = !seen[id];
    });
    return result;
  }

  submit() {
    const result = this.update();
    this.showErrors(result.errors);
    if (result.errors.length) {
      this.say(format(PAGE.invalid_answers, { count: result.errors.length }));
      this.problems.focus();
      return;
    }
    if (!this.submissionId) this.submissionId = newSubmissionId();
    this.saveDraft(result.answers, true);
    this.send({
      submission_id: this.submissionId,
      department: this.meta.department,
      version: this.meta.version,
      channel: this.meta.channel,
      website: this.form.elements.website.value,
      seconds: this.seconds(),
      answers: result.answers,
    });
  }

  seconds() {
    if (this.startedAt === null) return null;
    const seconds = Math.round((Date.now() - this.startedAt) / 1000);
    return seconds >= 0 && seconds <= MAX_SECONDS ? seconds : null;
  }

  saveDraft(answers, pending) {
    store.set(this.draftKey, { id: this.submissionId, answers, pending });
  }

  // One request at a time, the same submission ID every time: the collector stores it once.
  async send(payload) {
    if (this.sending) return;
    this.sending = true;
    this.button.disabled = true;
    this.say(PAGE.sending);
    let delay = 1000;
    for (;;) {
      let outcome;
      try {
        const response = await fetch(this.form.action, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(payload),
          credentials: "same-origin",
        });
        outcome = await this.read(response);
      } catch (error) {
        outcome = { retry: true, offline: true };
      }
      if (!outcome.retry) break;
      this.say(outcome.offline ? PAGE.offline : PAGE.retry);
      await this.pause(outcome.after || delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
    this.sending = false;
    this.button.disabled = false;
  }

  async read(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (response.ok) {
      store.remove(this.draftKey);
      this.markSent();
      window.location.assign(this.form.getAttribute("data-thanks"));
      return { done: true };
    }
    if (response.status === 429 || response.status >= 500) {
      const after = parseInt(response.headers.get("Retry-After") || "", 10);
      return { retry: true, after: after > 0 ? after * 1000 : 0 };
    }
    const failure = (body && body.error) || {};
    if (response.status === 409 && failure.code === "stale_version") {
      this.stale();
      return { done: true };
    }
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    this.showErrors(errors);
    this.saveDraft(this.check().answers, false);
    this.say(errors.length ? format(PAGE.invalid_answers, { count: errors.length })
      : PAGE.not_submitted + "：" + (failure.message || String(response.status)));
    this.problems.focus();
    return { done: true };
  }

  // The questionnaire changed under the page: keep the answers, offer the new page.
  stale() {
    this.saveDraft(this.check().answers, false);
    this.say(PAGE.stale);
    const reload = document.createElement("button");
    reload.type = "button";
    reload.textContent = PAGE.reload;
    reload.addEventListener("click", () => window.location.reload());
    this.status.appendChild(reload);
    reload.focus();
  }

  pause(ms) {
    return new Promise((resolve) => {
      const timer = window.setTimeout(resolve, ms * (0.8 + Math.random() * 0.4));
      this.wake = () => {
        window.clearTimeout(timer);
        resolve();
      };
    });
  }

  wakeUp() {
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }

  say(text) {
    this.status.textContent = text;
  }

  showErrors(errors) {
    this.questions.forEach((fieldset) => {
      const error = errors.filter((e) => e.field === fieldset.getAttribute("data-question"))[0];
      this.showError(fieldset, error ? error.message : null);
    });
    const list = this.problems;
    list.textContent = "";
    list.hidden = errors.length === 0;
    if (!errors.length) return;
    const heading = document.createElement("h2");
    heading.textContent = format(PAGE.invalid_answers, { count: errors.length });
    const items = document.createElement("ul");
    errors.forEach((error) => {
      const item = document.createElement("li");
      const fieldset = this.form.querySelector("#q-" + error.field);
      if (fieldset) {
        const link = document.createElement("a");
        link.href = "#q-" + error.field;
        link.textContent = fieldset.getAttribute("data-label");
        item.appendChild(link);
        item.appendChild(document.createTextNode("：" + error.message));
      } else {
        item.textContent = error.message;
      }
      items.appendChild(item);
    });
    list.appendChild(heading);
    list.appendChild(items);
  }

  showError(fieldset, message) {
    const id = "e-" + fieldset.getAttribute("data-question");
    let paragraph = document.getElementById(id);
    if (!message) {
      if (paragraph) paragraph.remove();
      fieldset.removeAttribute("aria-describedby");
      return;
    }
    if (!paragraph) {
      paragraph = document.createElement("p");
      paragraph.className = "error";
      paragraph.id = id;
      fieldset.querySelector("legend").insertAdjacentElement("afterend", paragraph);
    }
    paragraph.textContent = message;
    fieldset.setAttribute("aria-describedby", id);
  }
}

// The pressure question after the thanks page: sent by fetch and answered in place. Without
// this script the plain form posts and the collector answers with a short page; if the fetch
// fails, the plain form is posted instead, so an answer is never lost to the script.
function enablePressureQuestion() {
  const question = document.querySelector("form[data-pressure]");
  if (!question || !window.fetch) return;
  const status = question.querySelector(".pressure-status");
  const button = question.querySelector("button[type=submit]");
  question.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = question.querySelector("input[name=answer]:checked");
    if (!chosen) {
      status.textContent = question.getAttribute("data-choose");
      return;
    }
    button.disabled = true;
    fetch(question.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ department: question.elements.department.value, answer: chosen.value }),
      credentials: "same-origin",
    }).then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      question.querySelector("fieldset").hidden = true;
      button.hidden = true;
      status.textContent = question.getAttribute("data-recorded");
    }).catch(() => {
      button.disabled = false;
      question.submit();
    });
  });
}

rememberLargeText();
enableDirectoryFilter();
enablePressureQuestion();
const form = document.getElementById("survey");
if (form && window.fetch && window.Promise && Array.from) new Survey(form).start();
// For whoever waits on the page (tests, assistive tools): the enhancements are in place.
document.documentElement.setAttribute("data-enhanced", "");
