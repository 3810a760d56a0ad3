/* Expert workspace: the seed 002 front-end for experts (qa-tasks.md §3.3-3.4).
 *
 * Reads GET /task/list and GET /data/list, saves with PUT /data/label (session cookie, no CSRF token,
 * as the seed's own client). Every edit is written to localStorage first (a "draft"); a save that meets
 * a network or server error keeps the draft, marks it pending and retries with backoff (and when the
 * browser comes back online, and on the next visit), so no work is lost. Live urges arrive on the
 * user's notification socket.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("workspace-config").textContent);
  const T = config.text;
  const root = document.getElementById("qa-workspace");
  const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
  const DRAFT_PREFIX = `qa-workspace:${config.userId}:item:`;

  const state = {
    tasks: [],
    task: null, // the selected task row of /task/list
    items: [],
    index: 0,
    retryTimer: null,
    retryDelay: 2000,
    sending: new Set(),
  };

  // ---------- helpers ----------
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : `{${key}}`));
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function show(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function setSaveState(text, kind) {
    const node = $("save-state");
    node.textContent = text || "";
    node.dataset.state = kind || "";
  }

  class SignedOut extends Error {}

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (body && (body.response === "未登录" || body.response === "请先登录")) throw new SignedOut();
    if (!response.ok) throw new Error(body.response || `HTTP ${response.status}`);
    if (typeof body.response === "string") throw new Error(body.response);
    return body;
  }

  function signedOut() {
    const link = el("a", { href: config.loginUrl, text: "→" });
    const node = $("problem");
    node.textContent = T.signedOut + " ";
    node.append(link);
    node.hidden = false;
  }

  function problem(error) {
    if (error instanceof SignedOut) signedOut();
    else show("problem", fmt(T.loadFailed, { error: error.message || error }));
  }

  // ---------- drafts (localStorage) ----------
  function draftKey(dataId) {
    return DRAFT_PREFIX + dataId;
  }

  function readDraft(dataId) {
    try {
      const raw = window.localStorage.getItem(draftKey(dataId));
      return raw ? JSON.parse(raw) : null;
    } catch (error) {
      return null;
    }
  }

  function writeDraft(dataId, draft) {
    try {
      window.localStorage.setItem(draftKey(dataId), JSON.stringify(draft));
    } catch (error) {
      setSaveState(fmt(T.saveRefused, { message: error.message }), "error");
    }
  }

  function dropDraft(dataId) {
    try {
      window.localStorage.removeItem(draftKey(dataId));
    } catch (error) {
      /* storage unavailable: nothing to drop */
    }
  }

  function pendingDrafts() {
    const found = [];
    try {
      for (let i = 0; i < window.localStorage.length; i += 1) {
        const key = window.localStorage.key(i);
        if (!key || !key.startsWith(DRAFT_PREFIX)) continue;
        const draft = JSON.parse(window.localStorage.getItem(key));
        if (draft && draft.pending) found.push(draft);
      }
    } catch (error) {
      /* storage unavailable */
    }
    return found;
  }

  // ---------- answers: order is the ranking (1 = best) ----------
  function orderedAnswers(answers) {
    const list = Array.isArray(answers) ? answers.map((a) => ({ ...a })) : [];
    const rank = (a) => (Number.isInteger(a.ranking_number) && a.ranking_number > 0 ? a.ranking_number : Infinity);
    return list
      .map((answer, i) => ({ answer, i }))
      .sort((x, y) => rank(x.answer) - rank(y.answer) || x.i - y.i)
      .map(({ answer }) => ({ ...answer, answer: String(answer.answer ?? ""), reserve: answer.reserve === 0 ? 0 : 1 }));
  }

  function editsOf(item) {
    const draft = readDraft(item.data_id);
    if (draft) return draft;
    return {
      dataId: item.data_id,
      taskId: state.task ? state.task.task_id : null,
      question: item.question || "",
      answers: orderedAnswers(item.answer),
      reserve: item.data_reserve === 0 ? 0 : 1,
      pending: false,
    };
  }

  function payloadOf(edits) {
    return {
      data_id: edits.dataId,
      data_question: edits.question,
      data_answer: edits.answers.map((a, i) => ({ ...a, answer: a.answer, ranking_number: i + 1, reserve: a.reserve })),
      data_reserve: edits.reserve,
    };
  }

  // ---------- tasks ----------
  function statusLabel(status) {
    return T[`status_${status}`] || status;
  }

  async function loadTasks() {
    let body;
    try {
      body = await getJson(config.taskListUrl);
    } catch (error) {
      problem(error);
      return;
    }
    state.tasks = body.response || [];
    renderTasks();
  }

  function renderTasks() {
    const list = $("tasks");
    list.replaceChildren();
    $("tasks-empty").hidden = state.tasks.length > 0;
    for (const task of state.tasks) {
      const urged = Number(task.is_highlight) === 1;
      const selected = state.task && state.task.task_id === task.task_id;
      const progress = el("progress", { max: task.total_count || 1, value: task.finished_count || 0 });
      const button = el(
        "button",
        {
          type: "button",
          class: "ws-task-card",
          "data-task-id": task.task_id,
          "aria-current": selected ? "true" : null,
          onclick: () => openTask(task.task_id, 0),
        },
        [
          el("span", { class: "ws-task-title", text: `#${task.task_id} ${task.task_type} · ${task.area}` }),
          urged ? el("span", { class: "ws-badge ws-urged", "data-testid": "urged", text: T.urged }) : null,
          el("span", { class: "ws-badge ws-status", "data-status": task.status, text: statusLabel(task.status) }),
          el("span", { class: "ws-task-meta", text: task.resource }),
          el("span", { class: "ws-task-meta", text: fmt(T.due, { time: task.due_time }) }),
          el("span", { class: "ws-task-meta", text: fmt(T.assigned, { time: task.assign_time }) }),
          progress,
          el("span", {
            class: "ws-task-meta",
            "data-testid": "task-card-progress",
            text: fmt(T.progress, { done: task.finished_count, total: task.total_count }),
          }),
        ],
      );
      list.append(el("li", { class: urged ? "urged" : "", "data-testid": "task-card" }, [button]));
    }
  }

  async function openTask(taskId, index) {
    const task = state.tasks.find((t) => t.task_id === taskId);
    if (!task) return;
    let body;
    try {
      body = await getJson(`${config.dataListUrl}?mission_id=${encodeURIComponent(taskId)}`);
    } catch (error) {
      problem(error);
      return;
    }
    show("problem", "");
    state.task = task;
    state.items = body.response || [];
    state.index = Math.min(Math.max(index || 0, 0), Math.max(state.items.length - 1, 0));
    $("task").hidden = false;
    $("task-title").textContent = `#${task.task_id} ${task.task_type} · ${task.area}`;
    const notice = (body.notice || "").trim();
    $("notice").hidden = !notice;
    $("notice-text").textContent = notice;
    renderTasks();
    renderProgress();
    renderItem();
    if (!state.items.length) setSaveState(T.noItems, "");
  }

  function renderProgress() {
    const done = state.items.filter((item) => Number(item.is_labeled) === 1).length;
    const total = state.items.length;
    $("task-progress").max = total || 1;
    $("task-progress").value = done;
    $("task-progress-text").textContent = fmt(T.progress, { done, total });
    const nav = $("item-nav");
    nav.replaceChildren();
    state.items.forEach((item, i) => {
      const classes = ["ws-item-dot"];
      if (Number(item.is_labeled) === 1) classes.push("labeled");
      if (Number(item.returned) === 1) classes.push("returned");
      if (readDraft(item.data_id)) classes.push("draft");
      const button = el("button", {
        type: "button",
        class: classes.join(" "),
        "aria-current": i === state.index ? "true" : null,
        "aria-label": fmt(T.item, { index: i + 1, total }),
        "data-index": i,
        text: String(i + 1),
        onclick: () => goTo(i),
      });
      nav.append(el("li", {}, [button]));
    });
  }

  // ---------- the item editor ----------
  function currentItem() {
    return state.items[state.index] || null;
  }

  function renderItem() {
    const item = currentItem();
    const form = $("editor");
    form.hidden = !item;
    if (!item) return;
    const edits = editsOf(item);
    if (window.location.hash !== `#task=${state.task.task_id}&item=${state.index}`) {
      window.history.replaceState(null, "", `#task=${state.task.task_id}&item=${state.index}`);
    }
    $("item-position").textContent = fmt(T.item, { index: state.index + 1, total: state.items.length });
    const labeled = Number(item.is_labeled) === 1;
    $("item-state").textContent = labeled ? T.labeled : T.unlabeled;
    $("item-state").dataset.labeled = labeled ? "1" : "0";
    show(
      "returned",
      Number(item.returned) === 1 ? fmt(T.returnedNote, { comment: item.return_comment || T.noComment }) : "",
    );
    show("draft-note", readDraft(item.data_id) ? T.draftRestored : "");
    $("background").textContent = item.background || "—";
    $("keywords").textContent = item.keywords || "—";
    $("question").value = edits.question;
    renderAnswers(edits);
    root.querySelector(`input[name="data_reserve"][value="${edits.reserve}"]`).checked = true;
    $("prev").disabled = state.index === 0;
    $("next").disabled = state.index >= state.items.length - 1;
    $("save-next").disabled = state.index >= state.items.length - 1;
  }

  function renderAnswers(edits, focusIndex, focusSelector) {
    const list = $("answers");
    list.replaceChildren();
    edits.answers.forEach((answer, i) => {
      const text = el("textarea", {
        rows: 2,
        "data-testid": "answer-text",
        "aria-label": fmt(T.answer, { rank: i + 1 }),
      });
      text.value = answer.answer;
      text.addEventListener("input", () => {
        const current = collect();
        current.answers[i].answer = text.value;
        remember(current);
      });
      const keep = el("input", { type: "checkbox", "data-testid": "answer-keep" });
      keep.checked = answer.reserve === 1;
      keep.addEventListener("change", () => toggleAnswer(i, keep.checked));
      const li = el("li", { class: answer.reserve === 1 ? "ws-answer" : "ws-answer dropped", "data-testid": "answer" }, [
        el("span", { class: "ws-rank", "data-testid": "answer-rank", text: String(i + 1) }),
        text,
        el("label", { class: "ws-keep" }, [keep, document.createTextNode(` ${T.keep}`)]),
        el("span", { class: "ws-answer-buttons" }, [
          el("button", {
            type: "button",
            class: "ws-icon",
            title: T.moveUp,
            "aria-label": T.moveUp,
            "data-testid": "answer-up",
            disabled: i === 0,
            text: "↑",
            onclick: () => moveAnswer(i, -1),
          }),
          el("button", {
            type: "button",
            class: "ws-icon",
            title: T.moveDown,
            "aria-label": T.moveDown,
            "data-testid": "answer-down",
            disabled: i === edits.answers.length - 1,
            text: "↓",
            onclick: () => moveAnswer(i, 1),
          }),
          el("button", {
            type: "button",
            class: "ws-icon",
            title: T.remove,
            "aria-label": T.remove,
            "data-testid": "answer-remove",
            text: "×",
            onclick: () => removeAnswer(i),
          }),
        ]),
      ]);
      list.append(li);
    });
    if (focusIndex !== undefined && focusIndex !== null) {
      const target = list.children[focusIndex];
      if (target) target.querySelector(focusSelector || "textarea").focus();
    }
  }

  /** The editor's current values (the draft shape). */
  function collect() {
    const item = currentItem();
    const base = editsOf(item);
    const texts = [...$("answers").querySelectorAll('[data-testid="answer-text"]')];
    const reserveInput = root.querySelector('input[name="data_reserve"]:checked');
    return {
      dataId: item.data_id,
      taskId: state.task.task_id,
      question: $("question").value,
      answers: base.answers.map((a, i) => ({ ...a, answer: texts[i] ? texts[i].value : a.answer })),
      reserve: reserveInput ? Number(reserveInput.value) : base.reserve,
      pending: base.pending || false,
      editedAt: Date.now(),
    };
  }

  /** Store the edits as the item's draft; returns them as stored (with their timestamp). */
  function remember(edits) {
    const draft = { ...edits, editedAt: Date.now() };
    writeDraft(edits.dataId, draft);
    const dot = $("item-nav").querySelector(`[data-index="${state.index}"]`);
    if (dot) dot.classList.add("draft");
    setSaveState("", "");
    return draft;
  }

  function moveAnswer(i, delta) {
    const edits = collect();
    const j = i + delta;
    if (j < 0 || j >= edits.answers.length) return;
    [edits.answers[i], edits.answers[j]] = [edits.answers[j], edits.answers[i]];
    remember(edits);
    renderAnswers(edits, j, document.activeElement && document.activeElement.matches("button") ? `[data-testid="answer-${delta < 0 ? "up" : "down"}"]` : "textarea");
  }

  function toggleAnswer(i, keep) {
    const edits = collect();
    edits.answers[i].reserve = keep ? 1 : 0;
    remember(edits);
    renderAnswers(edits, i, '[data-testid="answer-keep"]');
  }

  function removeAnswer(i) {
    const edits = collect();
    edits.answers.splice(i, 1);
    remember(edits);
    renderAnswers(edits, Math.min(i, edits.answers.length - 1));
  }

  function addAnswer() {
    const edits = collect();
    edits.answers.push({ answer: "", ranking_number: 0, reserve: 1 });
    remember(edits);
    renderAnswers(edits, edits.answers.length - 1);
  }

  function goTo(index) {
    if (index < 0 || index >= state.items.length) return;
    state.index = index;
    renderProgress();
    renderItem();
    $("question").focus();
  }

  // ---------- saving ----------
  function validate(edits) {
    if (!edits.question.trim()) return T.questionRequired;
    if (edits.answers.some((a) => !a.answer.trim())) return T.answerRequired;
    return null;
  }

  /** PUT /data/label; resolves to "saved", "refused" (4xx: the message is shown) or "pending" (retrying). */
  async function send(edits) {
    if (state.sending.has(edits.dataId)) return "pending";
    state.sending.add(edits.dataId);
    try {
      let response;
      try {
        response = await fetch(config.labelUrl, {
          method: "PUT",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(payloadOf(edits)),
        });
      } catch (error) {
        return keepPending(edits);
      }
      if (response.status >= 500 || response.status === 429) return keepPending(edits);
      const body = await response.json().catch(() => ({}));
      if (response.ok && body.response === "success") {
        const latest = readDraft(edits.dataId);
        if (!latest || (latest.editedAt || 0) <= (edits.editedAt || 0)) dropDraft(edits.dataId);
        else writeDraft(edits.dataId, { ...latest, pending: false });
        markSaved(edits);
        return "saved";
      }
      if (body.response === "未登录") {
        writeDraft(edits.dataId, { ...edits, pending: true });
        signedOut();
        return "pending";
      }
      writeDraft(edits.dataId, { ...edits, pending: false });
      if (response.status === 409) setSaveState(T.closedDataset, "error");
      else if (response.status === 404) setSaveState(T.notFound, "error");
      else {
        const message = [body.field, body.message || body.response].filter(Boolean).join(": ");
        setSaveState(fmt(T.saveRefused, { message: message || `HTTP ${response.status}` }), "error");
      }
      return "refused";
    } finally {
      state.sending.delete(edits.dataId);
    }
  }

  function keepPending(edits) {
    writeDraft(edits.dataId, { ...edits, pending: true });
    const seconds = Math.round(state.retryDelay / 1000);
    scheduleRetry();
    const waiting = pendingDrafts().length;
    const more = waiting > 1 ? ` ${fmt(T.pending, { count: waiting })}` : "";
    setSaveState(fmt(T.savedLocal, { seconds }) + more, "offline");
    return "pending";
  }

  function markSaved(edits) {
    const item = state.items.find((it) => it.data_id === edits.dataId);
    if (item) {
      const payload = payloadOf(edits);
      const wasLabeled = Number(item.is_labeled) === 1;
      item.question = payload.data_question;
      item.answer = payload.data_answer;
      item.data_reserve = payload.data_reserve;
      item.is_labeled = 1;
      item.returned = 0;
      if (!wasLabeled && state.task) state.task.finished_count = (state.task.finished_count || 0) + 1;
    }
    if (item) {
      renderProgress();
      if (currentItem() === item) {
        // light refresh: re-rendering the editor would move the expert's cursor
        $("item-state").textContent = T.labeled;
        $("item-state").dataset.labeled = "1";
        show("returned", "");
        show("draft-note", "");
      }
    }
    setSaveState(T.saved, "saved");
  }

  function scheduleRetry() {
    if (state.retryTimer) return;
    state.retryTimer = window.setTimeout(retryPending, state.retryDelay);
    state.retryDelay = Math.min(state.retryDelay * 2, 30000);
  }

  async function retryPending() {
    state.retryTimer = null;
    const drafts = pendingDrafts();
    if (!drafts.length) return;
    setSaveState(T.retrying, "offline");
    let stillPending = 0;
    for (const draft of drafts) {
      if ((await send(draft)) === "pending") stillPending += 1;
    }
    if (!stillPending) {
      state.retryDelay = 2000;
      loadTasks();
    }
  }

  async function save({ thenNext } = {}) {
    const item = currentItem();
    if (!item) return;
    const edits = collect();
    const invalid = validate(edits);
    if (invalid) {
      setSaveState(invalid, "error");
      return;
    }
    // Send what was stored: a save drops the draft only if nothing was edited after it, which is told by
    // the timestamp (the clock may tick between collecting the edits and storing them).
    const stored = remember(edits);
    setSaveState(T.saving, "saving");
    const outcome = await send(stored);
    if (outcome === "saved") {
      loadTasks();
      if (thenNext && state.index < state.items.length - 1) goTo(state.index + 1);
    } else if (outcome === "pending" && thenNext && state.index < state.items.length - 1) {
      goTo(state.index + 1); // the draft is safe in this browser and is being retried
    }
  }

  // ---------- live notices ----------
  /** Urges and new tasks on the user's notification socket (static/tasks/live_socket.js); a refused
   * token (signed out or no longer an expert) means no live notices. */
  function connectSocket() {
    TasksLiveSocket.connect({
      tokenUrl: config.socketTokenUrl,
      socketPath: config.socketPath,
      csrf: () => {
        const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
        return field ? field.value : "";
      },
      onMessage: (message) => {
        const data = message.data || {};
        const values = { task: data.task_id, dataset: data.dataset_name, area: data.area, due: data.due_time };
        if (message.type === "task_urged") {
          show("banner", fmt(T.urgedNotice, values));
          loadTasks();
        } else if (message.type === "task_assigned") {
          show("banner", fmt(T.assignedNotice, values));
          loadTasks();
        }
      },
    });
  }

  // ---------- wiring ----------
  $("question").addEventListener("input", () => remember(collect()));
  root.querySelectorAll('input[name="data_reserve"]').forEach((input) =>
    input.addEventListener("change", () => remember(collect())),
  );
  $("add-answer").addEventListener("click", addAnswer);
  $("prev").addEventListener("click", () => goTo(state.index - 1));
  $("next").addEventListener("click", () => goTo(state.index + 1));
  $("save-next").addEventListener("click", () => save({ thenNext: true }));
  $("editor").addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });

  document.addEventListener("keydown", (event) => {
    if ($("editor").hidden) return;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      save();
    } else if (mod && event.key === "Enter") {
      event.preventDefault();
      save({ thenNext: true });
    } else if (event.altKey && event.key === "ArrowRight") {
      event.preventDefault();
      goTo(state.index + 1);
    } else if (event.altKey && event.key === "ArrowLeft") {
      event.preventDefault();
      goTo(state.index - 1);
    } else if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      const li = document.activeElement && document.activeElement.closest('[data-testid="answer"]');
      if (!li) return;
      event.preventDefault();
      const index = [...$("answers").children].indexOf(li);
      moveAnswer(index, event.key === "ArrowUp" ? -1 : 1);
    } else if (event.altKey && event.code === "KeyK") {
      const li = document.activeElement && document.activeElement.closest('[data-testid="answer"]');
      if (!li) return;
      event.preventDefault();
      const index = [...$("answers").children].indexOf(li);
      toggleAnswer(index, !li.querySelector('[data-testid="answer-keep"]').checked);
    } else if (event.altKey && (event.code === "Digit1" || event.code === "Digit0")) {
      event.preventDefault();
      root.querySelector(`input[name="data_reserve"][value="${event.code === "Digit1" ? 1 : 0}"]`).checked = true;
      remember(collect());
    }
  });

  window.addEventListener("online", () => {
    if (state.retryTimer) window.clearTimeout(state.retryTimer);
    state.retryTimer = null;
    state.retryDelay = 2000;
    retryPending();
  });

  async function start() {
    setSaveState(T.loading, "");
    await loadTasks();
    setSaveState("", "");
    const match = window.location.hash.match(/^#task=(\d+)&item=(\d+)$/);
    const wanted = match ? Number(match[1]) : null;
    const first = state.tasks.find((t) => t.task_id === wanted) || null;
    if (first) await openTask(first.task_id, Number(match[2]));
    if (pendingDrafts().length) retryPending();
    connectSocket();
  }

  start();
})();
