/* The signed-in user's notification socket, shared by the managers' cockpit (cockpit_live.js) and the
 * experts' workspace (workspace.js).
 *
 * TasksLiveSocket.connect({ tokenUrl, socketPath, csrf, onMessage, onState, steadyMs }) asks `tokenUrl` for
 * a short-lived socket token (session + CSRF token from `csrf()`, a POST) and opens `socketPath` with it.
 * Each parsed JSON message goes to `onMessage(message)`; `onState("open" | "closed")` follows the connection.
 * It reconnects with a new token each time: 1 s after a socket that stayed open at least `steadyMs`,
 * otherwise with backoff (1 s doubling to 60 s). A refused token (signed out, wrong role) or the close code
 * 4403 (account revoked) stops it: the page still works, without live updates.
 */
"use strict";

window.TasksLiveSocket = (function () {
  const noop = () => {};

  /** A short-lived JWT for the socket; null when refused, undefined on a network or server error (try
   * again later). */
  async function socketToken(options) {
    try {
      const response = await fetch(options.tokenUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": options.csrf() || "" },
      });
      if (!response.ok) return response.status >= 500 ? undefined : null;
      return (await response.json()).token;
    } catch (error) {
      return undefined;
    }
  }

  function connect(options) {
    if (!("WebSocket" in window)) return;
    const onMessage = options.onMessage || noop;
    const onState = options.onState || noop;
    const steadyMs = options.steadyMs || 0;

    async function open(delay) {
      const retry = () => {
        onState("closed");
        window.setTimeout(() => open(Math.min(delay * 2, 60000)), delay);
      };
      const token = await socketToken(options);
      if (token === null) return;
      if (token === undefined) {
        retry();
        return;
      }
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      const url = `${scheme}://${window.location.host}${options.socketPath}?token=${encodeURIComponent(token)}`;
      const socket = new WebSocket(url);
      let openedAt = 0;
      socket.addEventListener("open", () => {
        openedAt = Date.now();
        onState("open");
      });
      socket.addEventListener("message", (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (message) onMessage(message);
      });
      socket.addEventListener("close", (event) => {
        if (event.code === 4403) {
          onState("closed"); // account revoked: do not come back
          return;
        }
        if (openedAt && Date.now() - openedAt >= steadyMs) {
          onState("closed");
          window.setTimeout(() => open(1000), 1000);
        } else {
          retry(); // never opened, or dropped at once: back off
        }
      });
    }

    open(1000);
  }

  return { connect };
})();
