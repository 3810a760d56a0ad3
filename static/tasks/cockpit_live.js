/* Managers' cockpit (Django admin: dataset list, a dataset's page, task list, a task's page): live progress.
 *
 * Asks the page's token URL for a short-lived socket token (session + CSRF token), opens
 * /ws/notifications/ with it and, on each `task_progress` message (tasks.services.push_task_progress),
 * updates in place the elements marked `data-live`:
 *   data-live="progress" (a <progress> and a [data-count] "done / total"), "labeled" (a number) or
 *   "status" (a status word), for a task (data-task-id), a dataset (data-dataset-id) or one area of a
 *   dataset (data-dataset-id + data-area).
 * Reconnects with backoff (1 s doubling to 60 s) and a new token each time. The messages carry absolute
 * counts read from the database, so the next message (or a reload) corrects anything missed.
 */
(function () {
  "use strict";

  const status = document.getElementById("cockpit-live");
  if (!status || !("WebSocket" in window)) return;
  const config = status.dataset;

  function show(state) {
    status.dataset.state = state;
    status.textContent = state === "open" ? config.textLive : config.textOffline;
    status.hidden = false;
  }

  /** The figures of `data` for one marked element, or null when the element shows something else. */
  function figuresFor(element, data) {
    const mark = element.dataset;
    if (mark.taskId !== undefined) {
      if (mark.taskId !== String(data.task_id)) return null;
      return { done: data.finished_count, total: data.total_count, word: data.status };
    }
    if (mark.datasetId === undefined || mark.datasetId !== String(data.dataset_id)) return null;
    if (mark.area !== undefined) {
      if (mark.area !== data.area) return null;
      return { done: data.area_labeled_count, total: data.area_total_count, word: null };
    }
    return { done: data.dataset_labeled_count, total: data.dataset_total_count, word: data.dataset_status };
  }

  function update(element, figures) {
    const { done, total, word } = figures;
    const kind = element.dataset.live;
    if (kind === "progress") {
      if (!Number.isInteger(done) || !Number.isInteger(total)) return;
      const bar = element.querySelector("progress");
      if (bar) {
        bar.max = total || 1;
        bar.value = done;
      }
      const count = element.querySelector("[data-count]");
      if (count) count.textContent = `${done} / ${total}`;
      const titled = element.querySelector(".qa-progress");
      if (titled) titled.title = `${done} / ${total}`;
    } else if (kind === "labeled") {
      if (Number.isInteger(done)) element.textContent = String(done);
    } else if (kind === "status") {
      if (typeof word === "string" && word) element.textContent = word;
    }
  }

  function applyProgress(data) {
    for (const element of document.querySelectorAll("[data-live]")) {
      const figures = figuresFor(element, data);
      if (figures) update(element, figures);
    }
  }

  /** A short-lived JWT for the socket; null when refused (signed out, not a manager), undefined on a
   * network or server error (try again later). */
  async function socketToken() {
    try {
      const response = await fetch(config.tokenUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": config.csrf || "" },
      });
      if (!response.ok) return response.status >= 500 ? undefined : null;
      return (await response.json()).token;
    } catch (error) {
      return undefined;
    }
  }

  async function connect(delay) {
    const retry = () => {
      show("closed");
      window.setTimeout(() => connect(Math.min(delay * 2, 60000)), delay);
    };
    const token = await socketToken();
    if (token === null) return; // no live updates for this session; the page still works
    if (token === undefined) {
      retry();
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${window.location.host}${config.socketPath}?token=${encodeURIComponent(token)}`;
    const socket = new WebSocket(url);
    let openedAt = 0;
    socket.addEventListener("open", () => {
      openedAt = Date.now();
      show("open");
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message && message.type === "task_progress" && message.data) applyProgress(message.data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) {
        show("closed"); // account revoked: do not come back
        return;
      }
      if (openedAt && Date.now() - openedAt > 30000) {
        show("closed");
        window.setTimeout(() => connect(1000), 1000); // a new token each time
      } else {
        retry(); // never opened, or dropped at once: back off
      }
    });
  }

  connect(1000);
})();
