/* Shared by the labeling page and the gallery: configuration, the seed 000 user token, API calls.
 *
 * Both pages talk to the documented seed 000 API (/api/v1/...) exactly as any front-end would.
 * A signed-in web user gets a seed 000 user token for the session from the page's token endpoint
 * (session cookie + CSRF token); an anonymous visitor logs in with a random client id kept in this
 * browser, as the original front-end did.
 */
"use strict";

window.VideosCommon = (function () {
  const CLIENT_ID_KEY = "videos.client_id";

  function readConfig() {
    return JSON.parse(document.getElementById("videos-config").textContent);
  }

  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
  }

  function decodeJwt(token) {
    const part = String(token).split(".")[1] || "";
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function readBody(response) {
    if (response.status === 204) return null;
    const text = await response.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (error) {
      return { message: text.slice(0, 200) };
    }
  }

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    return { status: response.status, data: await readBody(response) };
  }

  /* Listings take a form-encoded body, as the original front-end sends it. */
  async function postForm(url, fields) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined && value !== null) body.append(name, String(value));
    }
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" },
      body,
      credentials: "same-origin",
    });
    return { status: response.status, data: await readBody(response) };
  }

  function storedClientId() {
    try {
      return window.localStorage.getItem(CLIENT_ID_KEY);
    } catch (error) {
      return null;
    }
  }

  function newClientId() {
    const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
    const clientId = `uuid.${Date.now()}.${random}`;
    try {
      window.localStorage.setItem(CLIENT_ID_KEY, clientId);
    } catch (error) {
      /* private mode: a new labeler per visit */
    }
    return clientId;
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function failure(result, fallback) {
    const message = result.data && result.data.message ? result.data.message : fallback;
    return new ApiError(result.status, message);
  }

  /* The seed 000 user token: the session user's (signed in), or a labeler's from a client id.
   * `create`: an anonymous visitor without a stored client id gets one (labeling page) or none (gallery). */
  async function obtainToken(config, { create }) {
    if (config.signedIn) {
      const response = await fetch(config.tokenUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      const data = await readBody(response);
      if (!response.ok) throw failure({ status: response.status, data }, config.text.tokenFailed);
      return data.user_token;
    }
    let clientId = storedClientId();
    if (!clientId) {
      if (!create) return null;
      clientId = newClientId();
    }
    const result = await postJson(config.api.login, { client_id: clientId });
    if (result.status !== 200) throw failure(result, config.text.tokenFailed);
    return result.data.user_token;
  }

  /* Clips are stored at 180 and 320 pixels; the labeling page plays the larger one (videos.md §6.5). */
  function clipUrl(item, size) {
    const url = String(item.url_root) + String(item.url_part);
    if (size === 180) return url;
    return url.replace("/180/", `/${size}/`).replace("-180-180-", `-${size}-${size}-`);
  }

  function makeVideo(src, label) {
    const video = document.createElement("video");
    video.src = src;
    video.muted = true;
    video.defaultMuted = true;
    video.loop = true;
    video.autoplay = true;
    video.playsInline = true;
    video.preload = "auto";
    video.setAttribute("muted", "");
    video.setAttribute("playsinline", "");
    video.setAttribute("aria-label", label);
    return video;
  }

  function show(element, message) {
    element.textContent = message || "";
    element.hidden = !message;
  }

  return { readConfig, format, decodeJwt, postJson, postForm, obtainToken, clipUrl, makeVideo, show, ApiError };
})();
