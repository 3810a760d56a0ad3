/* The gallery: page through any seed 000 listing; researchers change a clip's state from a dropdown.
 *
 * Public listings need no token; dashboard listings (gold, by researcher, by citizen, bad) are offered
 * to researchers and expert labelers (client types 0 and 1). "My contributions" is get_pos_labels in
 * user-id mode for the current labeler. A state change calls set_label_state, which records a label.
 */
"use strict";

(function () {
  const C = window.VideosCommon;
  const root = document.getElementById("video-gallery");
  if (!root) return;
  const config = C.readConfig();
  const text = config.text;
  const el = (id) => root.querySelector(`[data-testid="${id}"]`);
  const grid = el("gallery-grid");
  const select = el("listing");
  const pager = el("pager");

  const state = { token: null, claims: null, listing: null, page: 1, pages: 1, loading: 0 };

  function setPageState(value) {
    root.dataset.state = value;
  }

  function clientType() {
    return state.claims ? Number(state.claims.client_type) : null;
  }

  function isResearcher() {
    return clientType() === 0;
  }

  function availableListings() {
    const dashboard = clientType() === 0 || clientType() === 1;
    return config.listings.filter((listing) => {
      if (listing.dashboard && !dashboard) return false;
      if (listing.mine && !state.claims) return false;
      return true;
    });
  }

  function fillListings(wanted) {
    select.replaceChildren();
    for (const listing of availableListings()) {
      const option = document.createElement("option");
      option.value = listing.key;
      option.textContent = listing.title;
      select.appendChild(option);
    }
    const keys = Array.from(select.options, (o) => o.value);
    select.value = keys.includes(wanted) ? wanted : keys[0];
  }

  function stateName(code) {
    return text.states[String(code)] || String(code);
  }

  function startTime(epoch) {
    return new Date(epoch * 1000).toLocaleString();
  }

  async function changeState(item, code, tile, dropdown) {
    dropdown.disabled = true;
    C.show(el("problem"), "");
    try {
      const result = await C.postJson(config.api.setLabelState, { user_token: state.token, data: [{ video_id: item.id, label: Number(code) }] });
      if (result.status !== 204) {
        C.show(el("problem"), result.data && result.data.message ? result.data.message : text.saveFailed);
        dropdown.value = String(item.label_state_admin);
        return;
      }
      item.label_state_admin = Number(code);
      tile.querySelector("[data-testid=researcher-state]").textContent = stateName(item.label_state_admin);
      tile.dataset.researcherState = String(item.label_state_admin);
      C.show(el("result"), C.format(text.saved, { id: item.id, state: stateName(code) }));
    } catch (error) {
      C.show(el("problem"), text.saveFailed);
    } finally {
      dropdown.disabled = false;
    }
  }

  function renderTile(item, listing) {
    const tile = document.createElement("figure");
    tile.className = "gallery-tile";
    tile.setAttribute("data-testid", "gallery-clip");
    tile.dataset.videoId = String(item.id);
    tile.appendChild(C.makeVideo(C.clipUrl(item, 180), C.format(text.clipTitle, { id: item.id })));
    const caption = document.createElement("figcaption");
    const title = document.createElement("span");
    title.className = "clip-id";
    title.textContent = C.format(text.clipTitle, { id: item.id });
    const when = document.createElement("span");
    when.className = "clip-time";
    when.textContent = startTime(item.start_time);
    caption.append(title, when);
    if ("label_state" in item) {
      tile.dataset.researcherState = String(item.label_state_admin);
      const states = document.createElement("span");
      states.className = "clip-states";
      const citizen = document.createElement("span");
      citizen.setAttribute("data-testid", "citizen-state");
      citizen.textContent = stateName(item.label_state);
      const researcher = document.createElement("span");
      researcher.setAttribute("data-testid", "researcher-state");
      researcher.textContent = stateName(item.label_state_admin);
      states.append(`${text.citizen}: `, citizen, ` · ${text.researcher}: `, researcher);
      caption.appendChild(states);
      if (listing.mine && config.confirmedStates.some((code) => code === item.label_state || code === item.label_state_admin)) {
        const confirmed = document.createElement("span");
        confirmed.className = "confirmed";
        confirmed.textContent = text.confirmed;
        caption.appendChild(confirmed);
      }
    }
    if (isResearcher()) {
      const label = document.createElement("label");
      label.className = "state-picker";
      label.append(`${text.setState} `);
      const dropdown = document.createElement("select");
      dropdown.setAttribute("data-testid", "state-select");
      dropdown.setAttribute("aria-label", C.format(text.setStateFor, { id: item.id }));
      for (const choice of config.researcherChoices) {
        const option = document.createElement("option");
        option.value = String(choice.code);
        option.textContent = choice.name;
        dropdown.appendChild(option);
      }
      const current = String(item.label_state_admin);
      if (!config.researcherChoices.some((c) => String(c.code) === current)) {
        const option = document.createElement("option");
        option.value = current;
        option.textContent = stateName(current);
        option.disabled = true;
        dropdown.appendChild(option);
      }
      dropdown.value = current;
      dropdown.addEventListener("change", () => changeState(item, dropdown.value, tile, dropdown));
      label.appendChild(dropdown);
      caption.appendChild(label);
    }
    tile.appendChild(caption);
    return tile;
  }

  async function load() {
    const listing = config.listings.find((l) => l.key === select.value);
    if (!listing) return;
    const ticket = ++state.loading;
    setPageState("loading");
    C.show(el("problem"), "");
    C.show(el("empty"), "");
    let url = listing.url;
    if (listing.mine) url += `?user_id=${encodeURIComponent(state.claims.user_id)}`;
    const result = await C.postForm(url, { user_token: state.token, pageSize: config.pageSize, pageNumber: state.page });
    if (ticket !== state.loading) return; // a newer request won
    grid.replaceChildren();
    if (result.status === 204) {
      state.pages = state.page > 1 ? state.page - 1 : 1;
      el("total").textContent = "";
      C.show(el("empty"), text.empty);
      pager.hidden = state.page === 1;
      el("page").textContent = C.format(text.pageOf, { page: state.page, pages: Math.max(state.page, state.pages) });
      setPageState("empty");
      return;
    }
    if (result.status !== 200) {
      C.show(el("problem"), result.data && result.data.message ? result.data.message : text.loadFailed);
      setPageState("error");
      return;
    }
    const total = result.data.total;
    state.pages = Math.max(1, Math.ceil(total / config.pageSize));
    el("total").textContent = C.format(text.total, { count: total });
    for (const item of result.data.data) grid.appendChild(renderTile(item, listing));
    pager.hidden = state.pages <= 1;
    el("page").textContent = C.format(text.pageOf, { page: state.page, pages: state.pages });
    pager.querySelector("[data-page=prev]").disabled = state.page <= 1;
    pager.querySelector("[data-page=next]").disabled = state.page >= state.pages;
    setPageState("ready");
  }

  function remember() {
    const params = new URLSearchParams(window.location.search);
    params.set("view", select.value);
    params.set("page", String(state.page));
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
  }

  async function statistics() {
    try {
      const response = await fetch(config.api.statistics, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      el("statistics").textContent = C.format(text.statistics, {
        all: data.num_all_videos,
        full: data.num_fully_labeled,
        partial: data.num_partially_labeled,
      });
    } catch (error) {
      /* the statistics line is optional */
    }
  }

  async function start() {
    const params = new URLSearchParams(window.location.search);
    try {
      state.token = await C.obtainToken(config, { create: false });
      state.claims = state.token ? C.decodeJwt(state.token) : null;
    } catch (error) {
      C.show(el("problem"), error && error.message ? error.message : text.loadFailed);
      state.token = null;
      state.claims = null;
    }
    fillListings(params.get("view") || config.listings[0].key);
    const page = parseInt(params.get("page") || "1", 10);
    state.page = Number.isFinite(page) && page > 0 ? page : 1;
    select.addEventListener("change", () => {
      state.page = 1;
      remember();
      load();
    });
    pager.querySelector("[data-page=prev]").addEventListener("click", () => {
      if (state.page > 1) {
        state.page -= 1;
        remember();
        load();
      }
    });
    pager.querySelector("[data-page=next]").addEventListener("click", () => {
      if (state.page < state.pages) {
        state.page += 1;
        remember();
        load();
      }
    });
    statistics();
    await load();
  }

  start();
})();
