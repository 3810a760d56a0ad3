/* Managers' cockpit (Django admin: dataset list, a dataset's page, task list, a task's page): live progress.
 *
 * Asks the page's token URL for a short-lived socket token (session + CSRF token), opens
 * /ws/notifications/ with it and, on each `task_progress` message (tasks.services.push_task_progress),
 * updates in place the elements marked `data-live`:
 *   data-live="progress" (a <progress> and a [data-count] "done / total"), "labeled" (a number) or
 *   "status" (a status word), for a task (data-task-id), a dataset (data-dataset-id) or one area of a
 *   dataset (data-dataset-id + data-area).
 * The socket is static/tasks/live_socket.js (loaded before this file): it reconnects with backoff and a
 * new token each time. The messages carry absolute counts read from the database, so the next message
 * (or a reload) corrects anything missed.
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

  TasksLiveSocket.connect({
    tokenUrl: config.tokenUrl,
    socketPath: config.socketPath,
    csrf: () => config.csrf,
    steadyMs: 30000,
    onState: show,
    onMessage: (message) => {
      if (message.type === "task_progress" && message.data) applyProgress(message.data);
    },
  });
})();
