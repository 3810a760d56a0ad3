/* Alert monitor: a live board over seed 001's watcher endpoints and the /ws/alert/ socket (alerts.md §5.7-5.12, §6.1).
 *
 * The database is the source of truth: every (re)connection first subscribes (get_alert -> my_response),
 * then re-reads the listing, so nothing opened while the socket was down is missed. Live `an_alert`
 * messages update the board in between. The user token is short-lived and comes from the page's own
 * token endpoint (session + CSRF); it is refreshed before it expires and on any 401.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("monitor-config").textContent);
  var T = config.text;
  var root = document.getElementById("alert-monitor");
  var $ = function (selector, scope) { return (scope || root).querySelector(selector); };
  var byTestId = function (id, scope) { return $('[data-testid="' + id + '"]', scope); };

  var state = {
    token: null,
    tokenTimer: null,
    socket: null,
    retry: 0,
    retryTimer: null,
    pingTimer: null,
    stopped: false,
    page: 1,
    totalPages: 1,
    alerts: [],
    pendingNew: 0,
    trucks: {},
    trucksReadAt: 0,
    trucksTimer: null,
    alertsTicket: 0,
    alertsLoading: false,
    replay: [], // live events received while a listing read was in flight
    framesTicket: 0,
    view: null, // {alert, page, totalPages}
    viewTimer: null,
  };

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) { return key in values ? values[key] : match; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "dataset") Object.assign(node.dataset, attrs[key]);
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function showTime(value) { return value ? value.replace("T", " ") : "—"; }

  function setConnection(name) {
    var badge = byTestId("connection");
    badge.dataset.state = name;
    badge.textContent = T[name] || name;
  }

  function showProblem(message, link) {
    var box = byTestId("problem");
    box.textContent = message;
    if (link) {
      box.appendChild(document.createTextNode(" "));
      box.appendChild(el("a", { href: link.href, text: link.text }));
    }
    box.hidden = false;
  }

  function clearProblem() { byTestId("problem").hidden = true; }

  // --- token ----------------------------------------------------------------------------------------

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function sessionEnded() {
    state.stopped = true;
    setConnection("offline");
    showProblem(T.sessionEnded, { href: config.loginUrl, text: "→" });
  }

  function fetchToken() {
    return fetch(config.tokenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        sessionEnded();
        throw new Error("session");
      }
      if (!response.ok) throw new Error("token " + response.status);
      return response.json();
    }).then(function (body) {
      state.token = body.token;
      clearTimeout(state.tokenTimer);
      // Renew at 80 % of the lifetime; the fresh socket replaces the old one before the server closes it.
      state.tokenTimer = setTimeout(function () {
        fetchToken().then(connect).catch(function () {});
      }, Math.max(body.expires_in * 800, 5000));
      return body.token;
    });
  }

  // --- REST -----------------------------------------------------------------------------------------

  function query(params) {
    return Object.keys(params).filter(function (key) {
      return params[key] !== "" && params[key] !== null && params[key] !== undefined;
    }).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
    }).join("&");
  }

  /* GET a seed 001 endpoint with the Bearer token (kept out of URLs); one retry with a fresh token on 401.
   * Resolves to the envelope; `accept` lists the error codes the caller handles itself (e.g. 404). */
  function api(url, params, accept, retried) {
    return fetch(url + "?" + query(params), {
      headers: { Authorization: "Bearer " + state.token, Accept: "application/json" },
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.status === 401 && !retried) {
          return fetchToken().then(function () { return api(url, params, accept, true); });
        }
        if (response.ok || (accept || []).indexOf(response.status) >= 0) return body;
        throw new Error(body.error || response.status);
      });
    });
  }

  // --- alerts board ---------------------------------------------------------------------------------

  function filters() {
    var form = byTestId("filters");
    return { truck_id: form.truck_id.value, behavior: form.behavior.value, started: form.started.value };
  }

  function matches(alert) {
    var f = filters();
    if (f.truck_id && String(alert.truck_id) !== f.truck_id) return false;
    if (f.behavior && alert.behavior !== f.behavior) return false;
    if (f.started && String(alert.started) !== f.started) return false;
    return true;
  }

  function alertRow(alert) {
    var open = alert.started;
    var framesButton = el("button", { type: "button", class: "frames-button", text: T.frames, "data-testid": "frames-button" });
    framesButton.addEventListener("click", function () { location.hash = "alert-" + alert.id; });
    return el("tr", {
      "data-testid": "alert-" + alert.id,
      dataset: { alertId: alert.id, state: open ? "open" : "closed" },
      class: open ? "is-open" : "is-closed",
    }, [
      el("td", { "data-label": "#", text: String(alert.id) }),
      el("td", { "data-label": T.truck, text: alert.truck_name || String(alert.truck_id), class: "truck" }),
      el("td", { "data-label": T.behavior, text: alert.behavior, class: "behavior" }),
      el("td", { "data-label": T.started, text: showTime(alert.alert_init), class: "time" }),
      el("td", { "data-label": T.ended, text: showTime(alert.alert_end), class: "time end", "data-testid": "alert-end" }),
      el("td", { "data-label": T.state }, [el("span", { class: "badge " + (open ? "open" : "closed"), "data-testid": "alert-state", text: open ? T.open : T.closed })]),
      el("td", {}, [framesButton]),
    ]);
  }

  function renderAlerts() {
    var body = $("table.alerts tbody");
    body.replaceChildren.apply(body, state.alerts.map(alertRow));
    byTestId("alerts-empty").hidden = state.alerts.length > 0;
    byTestId("alerts-page").textContent = format(T.pageOf, { page: state.page, pages: Math.max(state.totalPages, 1) });
    $('[data-testid="alerts-pager"] [data-page="prev"]').disabled = state.page <= 1;
    $('[data-testid="alerts-pager"] [data-page="next"]').disabled = state.page >= state.totalPages;
    var notice = byTestId("new-alerts");
    notice.hidden = state.pendingNew === 0;
    notice.textContent = format(T.newAlerts, { count: state.pendingNew });
  }

  function loadAlerts() {
    var params = Object.assign({ page: state.page, limit: config.pageSize }, filters());
    var ticket = ++state.alertsTicket; // only the newest read may draw the board (filters change fast)
    state.alertsLoading = true;
    state.replay = [];
    return api(config.alertsUrl, params).then(function (body) {
      if (ticket !== state.alertsTicket) return;
      state.alertsLoading = false;
      state.alerts = body.data.alerts;
      state.replay.forEach(function (item) { mergeAlert(item[0], item[1], false); });
      state.replay = [];
      state.totalPages = body.data.totalPages;
      byTestId("alerts-total").textContent = format(T.alertsTotal, { count: body.data.totalItems });
      if (state.page === 1) state.pendingNew = 0;
      renderAlerts();
    }).catch(function (error) {
      if (ticket === state.alertsTicket) state.alertsLoading = false;
      showProblem(format(T.loadFailed, { error: error.message }));
    });
  }

  function newestFirst(a, b) {
    if (a.alert_init !== b.alert_init) return a.alert_init < b.alert_init ? 1 : -1;
    return b.id - a.id;
  }

  /* Fold one live event into the board. Idempotent, and an alert never reopens, so events can be
   * replayed over a listing read while they arrived. Returns whether a new alert was counted. */
  function mergeAlert(event, alert, counting) {
    var index = state.alerts.findIndex(function (known) { return known.id === alert.id; });
    if (index >= 0) {
      if (!state.alerts[index].started && alert.started) return; // older news than what is shown
      // Still matching (e.g. closed while "open and closed" is shown): update; else it leaves the filter.
      if (matches(alert)) state.alerts[index] = alert;
      else state.alerts.splice(index, 1);
    } else if (matches(alert)) {
      if (state.page === 1) {
        state.alerts.push(alert);
        state.alerts.sort(newestFirst);
        state.alerts = state.alerts.slice(0, config.pageSize);
      } else if (event === "opened" && counting) {
        state.pendingNew += 1;
      }
    }
  }

  function onAlertEvent(event, alert) {
    // A listing read in flight may have been answered before this alert committed: replay it on arrival.
    if (state.alertsLoading) state.replay.push([event, alert]);
    mergeAlert(event, alert, true);
    renderAlerts();
    var row = byTestId("alert-" + alert.id);
    if (row) row.classList.add("flash");
    refreshTruck(alert);
    if (state.view && state.view.alert.id === alert.id) {
      state.view.alert = alert;
      renderViewHeader();
    }
  }

  // --- trucks and their last status -----------------------------------------------------------------

  function truckCard(truck) {
    var last = truck.last_alert;
    var toggle = el("button", { type: "button", class: "link", "data-testid": "last-status-button", text: T.lastStatus });
    var card = el("li", { class: "truck-card", "data-testid": "truck-" + truck.id, dataset: { truckId: truck.id } }, [
      el("div", { class: "truck-title" }, [
        el("strong", { text: truck.name }),
        el("span", { class: "badge status", text: truck.status }),
      ]),
      el("p", { class: "truck-last", "data-testid": "truck-last-alert", text: last
        ? T.lastAlert + ": " + last.behavior + " · " + showTime(last.alert_init) + " · " + (last.started ? T.open : T.closed)
        : "—" }),
      toggle,
      el("figure", { class: "last-status", "data-testid": "last-status", hidden: "" }),
    ]);
    toggle.addEventListener("click", function () {
      var figure = byTestId("last-status", card);
      if (!figure.hidden) {
        figure.hidden = true;
        toggle.textContent = T.lastStatus;
        return;
      }
      figure.hidden = false;
      toggle.textContent = T.hideLastStatus;
      loadLastStatus(truck.id, figure);
    });
    return card;
  }

  function imageSource(base64) {
    var type = base64.indexOf("iVBOR") === 0 ? "image/png" : "image/jpeg";
    return "data:" + type + ";base64," + base64;
  }

  function loadLastStatus(truckId, figure) {
    return api(config.lastStatusUrl, { truck_id: truckId }, [404]).then(function (body) {
      if (body.code === 404) {
        figure.replaceChildren(el("figcaption", { text: T.noFrameYet }));
        return;
      }
      var frame = body.data.frame;
      var what = frame.alert_id ? format(T.alertFrame, { id: frame.alert_id }) : T.safeFrame;
      figure.replaceChildren(
        el("img", { src: imageSource(frame.frame_image), alt: T.lastStatus, "data-testid": "last-status-image" }),
        el("figcaption", { text: showTime(frame.frame_timestamp) + " · " + what }),
      );
    }).catch(function (error) { figure.replaceChildren(el("figcaption", { text: format(T.loadFailed, { error: error.message }) })); });
  }

  function renderTruckFilter() {
    var select = byTestId("filters").truck_id;
    var chosen = select.value;
    var first = select.options[0];
    var options = Object.keys(state.trucks).map(function (id) { return state.trucks[id]; })
      .sort(function (a, b) { return a.name.localeCompare(b.name); })
      .map(function (truck) { return el("option", { value: String(truck.id), text: truck.name }); });
    select.replaceChildren.apply(select, [first].concat(options));
    select.value = chosen;
  }

  function loadTrucks() {
    state.trucksReadAt = Date.now();
    return api(config.trucksUrl, { page: 1, limit: 100, include_last_alert: "true" }).then(function (body) {
      state.trucks = {};
      body.data.trucks.forEach(function (truck) { state.trucks[truck.id] = truck; });
      var list = byTestId("trucks");
      list.replaceChildren.apply(list, body.data.trucks.map(truckCard));
      byTestId("trucks-empty").hidden = body.data.trucks.length > 0;
      renderTruckFilter();
    }).catch(function (error) { showProblem(format(T.loadFailed, { error: error.message })); });
  }

  function refreshTruck(alert) {
    var truck = state.trucks[alert.truck_id];
    if (!truck) { // a truck registered since the last read: re-read, at most once every 10 s
      if (!state.trucksTimer) {
        state.trucksTimer = setTimeout(function () {
          state.trucksTimer = null;
          loadTrucks();
        }, Math.max(0, 10000 - (Date.now() - state.trucksReadAt)));
      }
      return;
    }
    if (!truck.last_alert || truck.last_alert.id === alert.id || newestFirst(alert, truck.last_alert) < 0) {
      if (!truck.last_alert || truck.last_alert.id !== alert.id) truck.alerts_total = (truck.alerts_total || 0) + 1;
      truck.last_alert = alert;
    }
    var old = byTestId("truck-" + alert.truck_id);
    var figureWasOpen = old && !byTestId("last-status", old).hidden;
    var card = truckCard(truck);
    if (old) old.replaceWith(card);
    if (figureWasOpen) $('[data-testid="last-status-button"]', card).click();
  }

  // --- one alert and its frames ---------------------------------------------------------------------

  function renderViewHeader() {
    var alert = state.view.alert;
    byTestId("alert-view-title").textContent = format(T.alertTitle, { id: alert.id }) + " · " + (alert.truck_name || alert.truck_id) + " · " + alert.behavior;
    byTestId("alert-view-meta").textContent = [
      alert.started ? T.open : T.closed,
      format(T.since, { time: showTime(alert.alert_init) }),
      alert.alert_end ? format(T.until, { time: showTime(alert.alert_end) }) : "",
    ].filter(Boolean).join(" · ");
    byTestId("alert-view").dataset.state = alert.started ? "open" : "closed";
  }

  function loadFrames() {
    var view = state.view;
    var ticket = ++state.framesTicket;
    return api(config.framesUrl, { alert_id: view.alert.id, page: view.page }).then(function (body) {
      if (state.view !== view || ticket !== state.framesTicket) return;
      view.totalPages = body.data.totalPages;
      var frames = body.data.frames.map(function (frame) {
        return el("figure", { class: "frame", "data-testid": "frame", dataset: { frameIndex: frame.frame_index } }, [
          el("img", { src: imageSource(frame.frame_image), alt: format(T.frameCaption, { index: frame.frame_index, time: showTime(frame.frame_timestamp) }), loading: "lazy" }),
          el("figcaption", { text: format(T.frameCaption, { index: frame.frame_index, time: showTime(frame.frame_timestamp) }) }),
        ]);
      });
      var box = byTestId("frames");
      box.replaceChildren.apply(box, frames);
      byTestId("frames-empty").hidden = frames.length > 0;
      byTestId("frames-page").textContent = format(T.pageOf, { page: view.page, pages: Math.max(view.totalPages, 1) });
      $('[data-testid="frames-pager"] [data-page="prev"]').disabled = view.page <= 1;
      $('[data-testid="frames-pager"] [data-page="next"]').disabled = view.page >= view.totalPages;
    }).catch(function (error) { byTestId("frames").replaceChildren(el("p", { text: format(T.loadFailed, { error: error.message }) })); });
  }

  function openView(alertId) {
    var known = state.alerts.find(function (alert) { return alert.id === alertId; });
    var ready = known ? Promise.resolve(known) : api(config.alertsUrl, { id: alertId }).then(function (body) { return body.data.alerts[0]; });
    return ready.then(function (alert) {
      if (!alert) { closeView(); return; }
      state.view = { alert: alert, page: 1, totalPages: 1 };
      renderViewHeader();
      byTestId("frames").replaceChildren();
      byTestId("alert-view").hidden = false;
      clearInterval(state.viewTimer);
      // An open alert is still streaming: keep its newest frames page fresh.
      state.viewTimer = setInterval(function () {
        if (state.view && state.view.alert.started && state.view.page === 1) loadFrames();
      }, 4000);
      return loadFrames();
    });
  }

  function closeView() {
    state.view = null;
    clearInterval(state.viewTimer);
    byTestId("alert-view").hidden = true;
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  function followHash() {
    var match = /^#alert-(\d+)$/.exec(location.hash);
    if (match && state.token) openView(Number(match[1]));
    else if (!match && state.view) closeView();
  }

  // --- the socket -----------------------------------------------------------------------------------

  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + config.socketPath;
  }

  function scheduleReconnect(needToken) {
    if (state.stopped) return;
    setConnection("reconnecting");
    clearTimeout(state.retryTimer);
    var delay = Math.min(1000 * Math.pow(2, state.retry), 15000) * (0.75 + Math.random() / 2);
    state.retry += 1;
    state.retryTimer = setTimeout(function () {
      (needToken ? fetchToken() : Promise.resolve()).then(connect).catch(function (error) {
        if (error.message !== "session") scheduleReconnect(true);
      });
    }, delay);
  }

  function connect() {
    if (state.stopped) return;
    var previous = state.socket;
    var socket = new WebSocket(socketUrl());
    state.socket = socket;
    socket.addEventListener("open", function () {
      // The token travels in the first message, never in a URL.
      socket.send(JSON.stringify({ type: "get_alert", username: config.username, token: state.token }));
    });
    socket.addEventListener("message", function (event) {
      if (state.socket !== socket) return;
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "my_response") {
        if (previous && previous !== socket) previous.close(1000);
        previous = null;
        state.retry = 0;
        setConnection("live");
        clearProblem();
        // Subscribed first, read second: whatever opened while we were away is in this listing.
        loadAlerts();
        loadTrucks();
      } else if (message.type === "an_alert" && message.data && message.data.alert) {
        onAlertEvent(message.data.event, message.data.alert);
      } else if (message.type === "error" && message.data && message.data.code === 403) {
        state.stopped = true;
        showProblem(T.notAllowed);
      }
    });
    socket.addEventListener("close", function (event) {
      if (state.socket !== socket) return;
      state.socket = null;
      if (event.code === 4403) {
        state.stopped = true;
        setConnection("offline");
        showProblem(T.notAllowed);
        return;
      }
      scheduleReconnect(event.code === 4401);
    });
  }

  // --- wiring ---------------------------------------------------------------------------------------

  byTestId("filters").addEventListener("change", function () {
    state.page = 1;
    state.pendingNew = 0;
    loadAlerts();
  });
  byTestId("filters").addEventListener("submit", function (event) { event.preventDefault(); });
  byTestId("alerts-pager").addEventListener("click", function (event) {
    var step = event.target.dataset.page;
    if (!step) return;
    state.page = Math.max(1, state.page + (step === "next" ? 1 : -1));
    loadAlerts();
  });
  byTestId("new-alerts").addEventListener("click", function () {
    state.page = 1;
    loadAlerts();
  });
  byTestId("frames-pager").addEventListener("click", function (event) {
    var step = event.target.dataset.page;
    if (!step || !state.view) return;
    state.view.page = Math.max(1, state.view.page + (step === "next" ? 1 : -1));
    loadFrames();
  });
  byTestId("alert-view-close").addEventListener("click", closeView);
  byTestId("alert-view").addEventListener("click", function (event) {
    if (event.target === byTestId("alert-view")) closeView();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.view) closeView();
  });
  window.addEventListener("hashchange", followHash);
  state.pingTimer = setInterval(function () {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ type: "ping" }));
  }, 25000);

  setConnection("connecting");
  fetchToken().then(function () {
    connect();
    followHash();
  }).catch(function (error) {
    if (error.message !== "session") scheduleReconnect(true);
  });
})();
