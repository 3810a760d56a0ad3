/* The labeling page: get a batch of 16 clips, toggle the ones with smoke, return it (seed 000 API).
 *
 * A batch cannot be returned sooner than 5 s after it was issued (the video token's `nbf`), so the
 * submit button stays disabled for that long after the batch arrives, with a countdown.
 */
"use strict";

(function () {
  const C = window.VideosCommon;
  const root = document.getElementById("video-labeling");
  if (!root) return;
  const config = C.readConfig();
  const text = config.text;
  const el = (id) => root.querySelector(`[data-testid="${id}"]`);
  const grid = el("batch");
  const submit = el("submit");

  const state = { token: null, claims: null, batch: null, videoToken: null, selected: new Set(), readyAt: 0, timer: null, busy: false };

  function setPageState(value) {
    root.dataset.state = value;
  }

  function problem(message) {
    C.show(el("problem"), message);
    if (message) setPageState("error");
  }

  function showScores(score, raw) {
    el("score").textContent = score === null || score === undefined ? "–" : String(score);
    el("raw-score").textContent = raw === null || raw === undefined ? "–" : String(raw);
  }

  function showAccount(claims) {
    el("user-id").textContent = String(claims.user_id);
    el("client-type").textContent = text.clientTypes[String(claims.client_type)] || String(claims.client_type);
    showScores(claims.user_score, claims.user_raw_score);
  }

  async function refreshContributions() {
    const url = `${config.api.posLabels}?user_id=${encodeURIComponent(state.claims.user_id)}&pageSize=1`;
    try {
      const result = await C.postForm(url, {});
      const total = result.status === 200 && result.data ? result.data.total : 0;
      el("contributions-count").textContent = C.format(text.contributions, { count: total });
    } catch (error) {
      el("contributions-count").textContent = "";
    }
  }

  function updateSelection() {
    el("selected-count").textContent = C.format(text.selected, { count: state.selected.size, total: state.batch ? state.batch.length : 0 });
  }

  function tick() {
    const left = Math.ceil((state.readyAt - Date.now()) / 1000);
    if (left > 0) {
      el("countdown").textContent = C.format(text.waitSeconds, { seconds: left });
      submit.disabled = true;
      return;
    }
    window.clearInterval(state.timer);
    state.timer = null;
    el("countdown").textContent = "";
    submit.disabled = state.busy || !state.batch;
    if (state.batch) setPageState("ready");
  }

  function renderBatch(items) {
    grid.replaceChildren();
    state.selected.clear();
    items.forEach((item, index) => {
      const tile = document.createElement("button");
      tile.type = "button";
      tile.className = "clip-tile";
      tile.dataset.videoId = String(item.id);
      tile.setAttribute("data-testid", "clip");
      tile.setAttribute("aria-pressed", "false");
      const label = C.format(text.clipLabel, { number: index + 1 });
      tile.appendChild(C.makeVideo(C.clipUrl(item, config.playSize), label));
      const badge = document.createElement("span");
      badge.className = "clip-badge";
      badge.textContent = text.smoke;
      tile.appendChild(badge);
      const caption = document.createElement("span");
      caption.className = "sr-only";
      caption.textContent = label;
      tile.appendChild(caption);
      tile.addEventListener("click", () => {
        const id = item.id;
        const on = !state.selected.has(id);
        if (on) state.selected.add(id);
        else state.selected.delete(id);
        tile.classList.toggle("selected", on);
        tile.setAttribute("aria-pressed", on ? "true" : "false");
        updateSelection();
      });
      grid.appendChild(tile);
    });
    updateSelection();
  }

  /* A page token expires (12 h) or dies with a password change: get a new one and try once more. */
  async function withFreshToken(call) {
    let result = await call();
    if (result.status === 401 && result.data && /expired|User not found|password/i.test(result.data.message || "")) {
      state.token = await C.obtainToken(config, { create: true });
      state.claims = C.decodeJwt(state.token);
      result = await call();
    }
    return result;
  }

  async function loadBatch() {
    state.batch = null;
    submit.disabled = true;
    setPageState("loading");
    C.show(el("no-batch"), "");
    const result = await withFreshToken(() => C.postJson(config.api.getBatch, { user_token: state.token }));
    if (result.status === 204) {
      grid.replaceChildren();
      C.show(el("no-batch"), text.noBatch);
      el("selected-count").textContent = "";
      setPageState("empty");
      return;
    }
    if (result.status !== 200) {
      problem(result.data && result.data.message ? result.data.message : text.loadFailed);
      return;
    }
    state.batch = result.data.data;
    state.videoToken = result.data.video_token;
    renderBatch(state.batch);
    // The server refuses the batch before iat + 5 s; waiting 5 s after receipt always covers it.
    state.readyAt = Date.now() + config.waitSeconds * 1000 + 250;
    setPageState("waiting");
    if (state.timer) window.clearInterval(state.timer);
    state.timer = window.setInterval(tick, 250);
    tick();
  }

  async function sendBatch(retries) {
    const data = state.batch.map((item) => ({ video_id: item.id, label: state.selected.has(item.id) ? 1 : 0 }));
    const result = await withFreshToken(() =>
      C.postJson(config.api.sendBatch, { user_token: state.token, video_token: state.videoToken, data }),
    );
    if (result.status === 401 && result.data && /nbf/.test(result.data.message) && retries > 0) {
      await new Promise((resolve) => window.setTimeout(resolve, 1000)); // clocks a little apart: try again
      return sendBatch(retries - 1);
    }
    return result;
  }

  async function onSubmit() {
    if (!state.batch || state.busy) return;
    state.busy = true;
    submit.disabled = true;
    setPageState("sending");
    problem("");
    try {
      const result = await sendBatch(3);
      if (result.status !== 200) {
        problem(result.data && result.data.message ? result.data.message : text.sendFailed);
        if (result.status === 409 || result.status === 401) await loadBatch(); // this batch cannot be sent again
        return;
      }
      const score = result.data.data.score;
      if (score.batch === null) {
        C.show(el("result"), text.researcherSaved);
      } else {
        showScores(score.user, score.raw);
        C.show(el("result"), score.batch > 0 ? C.format(text.passed, { points: score.batch }) : text.failed);
      }
      el("result").dataset.outcome = score.batch === null ? "saved" : score.batch > 0 ? "passed" : "failed";
      await refreshContributions();
      await loadBatch();
    } catch (error) {
      problem(text.sendFailed);
    } finally {
      state.busy = false;
      if (state.batch && !state.timer) submit.disabled = false;
    }
  }

  async function start() {
    try {
      state.token = await C.obtainToken(config, { create: true });
      state.claims = C.decodeJwt(state.token);
      showAccount(state.claims);
      el("contributions-link").href = `${config.galleryUrl}?view=mine`;
      await refreshContributions();
      await loadBatch();
    } catch (error) {
      problem(error && error.message ? error.message : text.loadFailed);
    }
  }

  submit.addEventListener("click", onSubmit);
  start();
})();
