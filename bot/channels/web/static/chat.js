// kneecheck web chat: draws what the server sends, sends what the person does.
// No framework, no build step, nothing inline (the page's CSP allows only this file).
"use strict";

(() => {
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const form = document.getElementById("compose");
  const input = document.getElementById("text");
  const words = document.body.dataset; // the page's words, in the reader's language
  const seen = new Set();
  let shownFromServer = 0;
  let started = false;

  const say = (text) => { status.textContent = text || ""; };

  function node(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function addSections(into, sections) {
    let titled = 0;
    for (const part of sections || []) {
      if (part.title) {
        into.append(node(titled === 0 ? "h2" : "h3", "", part.title));
        titled += 1;
      }
      for (const text of part.paragraphs || []) into.append(node("p", "", text));
      for (const [tag, items] of [["ul", part.bullets], ["ol", part.steps]]) {
        if (!items || !items.length) continue;
        const list = node(tag);
        for (const item of items) list.append(node("li", "", item));
        into.append(list);
      }
    }
  }

  function addChoices(into, message) {
    if (!message.choices || !message.choices.length) return;
    const group = node("div", "choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", words.answers);
    for (const choice of message.choices) {
      const button = node("button", "", choice.label);
      button.type = "button";
      button.dataset.press = choice.data;
      if (choice.action === "toggle") {
        button.setAttribute("aria-pressed", choice.selected ? "true" : "false");
      } else if (choice.action === "submit") {
        button.className = "primary";
      }
      group.append(button);
    }
    into.append(group);
  }

  function render(message) {
    if (message.kind === "picture") {
      const article = node("article", "msg picture");
      const figure = node("figure");
      const image = node("img");
      image.src = message.src;
      image.alt = message.title;
      figure.append(image, node("figcaption", "", message.title));
      const text = node("details");
      text.append(node("summary", "", words.chartText));
      addSections(text, message.fallback && message.fallback.sections);
      figure.append(text);
      article.append(figure);
      return article;
    }
    const article = node("article", `msg ${message.kind}`);
    if (message.tier) article.classList.add(`tier-${message.tier}`);
    if (message.step !== undefined) article.dataset.q = `${message.step}@${message.version}`;
    addSections(article, message.sections);
    addChoices(article, message);
    return article;
  }

  function questionShowing(q) {
    const found = log.querySelectorAll(`article.question[data-q="${CSS.escape(q)}"]`);
    return found.length ? found[found.length - 1] : null;
  }

  function disableOlderQuestions(except) {
    for (const question of log.querySelectorAll("article.question")) {
      if (question === except) continue;
      for (const button of question.querySelectorAll("button")) button.disabled = true;
    }
  }

  function answered(message) {
    const text = (message.sections || []).flatMap((s) => s.paragraphs || []).join(" ");
    const question = message.step !== undefined
      ? questionShowing(`${message.step}@${message.version}`) : null;
    if (!question) return log.appendChild(node("article", "msg you", text));
    for (const button of question.querySelectorAll("button")) button.disabled = true;
    return question.appendChild(node("p", "answered", text));
  }

  // One message onto the page; the node added or changed, or null (already shown).
  function show(message) {
    if (message.id) {
      if (seen.has(message.id)) return null;
      seen.add(message.id);
      shownFromServer += 1;
      started = true;
    }
    if (message.kind === "answered") return answered(message);
    const made = render(message);
    if (message.id) made.dataset.id = message.id;
    let old = null;
    if (message.replaces) old = log.querySelector(`article[data-id="${CSS.escape(message.replaces)}"]`);
    if (!old && message.edit && message.step !== undefined) {
      old = questionShowing(`${message.step}@${message.version}`);
    }
    if (old) old.replaceWith(made);
    else log.append(made);
    if (message.kind === "question" || message.kind === "result" || message.kind === "urgent") {
      disableOlderQuestions(message.kind === "question" ? made : null);
    }
    return made;
  }

  // New messages scroll into view (the first of them).
  function showAll(messages) {
    const added = messages.map(show).filter(Boolean);
    if (added.length) (added[0].closest("article") || added[0]).scrollIntoView({ block: "nearest" });
  }

  // After a press: focus follows the conversation, to the ticked box again, else the first
  // live answer of the newest message the press brought; never lost on a disabled button.
  function settleFocus(pressed, messages) {
    const live = (root) => root && root.querySelector("button[data-press]:not(:disabled)");
    let target = [...log.querySelectorAll("button[data-press]:not(:disabled)")]
      .filter((b) => pressed && b.dataset.press === pressed).pop();
    for (const message of [...messages].reverse()) {
      if (target || !message.id) break;
      target = live(log.querySelector(`article[data-id="${CSS.escape(message.id)}"]`));
    }
    const now = document.activeElement;
    if (target) target.focus({ preventScroll: true });
    else if (!now || now === document.body || now.disabled) input.focus({ preventScroll: true });
  }

  async function post(body, pressed) {
    let answer;
    try {
      answer = await fetch("/chat/send", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
    } catch (error) {
      say(words.notSent);
      return;
    }
    let data = {};
    try { data = await answer.json(); } catch (error) { data = {}; }
    if (!answer.ok) {
      say(data.message || words.failed);
      return;
    }
    say("");
    if (data.cleared) {
      log.replaceChildren();
      seen.clear();
    }
    showAll([...(data.notices || []), ...(data.messages || [])]);
    if (pressed !== undefined) settleFocus(pressed, data.messages || []);
  }

  function start() {
    if (started) return;
    started = true;
    post({ command: document.body.dataset.start });
  }

  log.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-press]");
    if (!button || button.disabled) return;
    const article = button.closest("article");
    const body = { press: button.dataset.press };
    if (article && article.dataset.id) body.message = article.dataset.id;
    post(body, button.dataset.press);
  });

  for (const button of document.querySelectorAll("button[data-command]")) {
    button.addEventListener("click", () => {
      button.closest("details").open = false; // the menu gives the screen back
      post({ command: button.dataset.command }, "");
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    showAll([{ kind: "you", sections: [{ paragraphs: [text] }] }]);
    post({ text });
  });

  if (typeof EventSource === "function") {
    const events = new EventSource("/chat/events");
    events.addEventListener("message", (event) => showAll([JSON.parse(event.data)]));
    events.addEventListener("ready", () => {
      say("");
      if (shownFromServer === 0) start();
    });
    events.addEventListener("unavailable", (event) => say(JSON.parse(event.data).message));
    events.addEventListener("error", () => say(words.offline));
  } else {
    // No server-sent events: the history once, then each post's answer.
    fetch("/chat/history", { credentials: "same-origin" })
      .then((answer) => answer.json())
      .then((data) => {
        showAll(data.messages || []);
        if (shownFromServer === 0) start();
      })
      .catch(() => say(words.noHistory));
  }
})();
