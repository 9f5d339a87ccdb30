// The one way the dashboard talks to keytally: its public JSON API on the same origin, with the signed-in
// credential in the Authorization header and nowhere else. Errors become ApiError: the status, and a sentence
// people read (with Retry-After or the request id where they help).

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let pending = 0;
const busyListeners = new Set();

export function onBusy(listener) {
  busyListeners.add(listener);
}

function setPending(change) {
  pending += change;
  for (const listener of busyListeners) listener(pending > 0);
}

export function queryString(query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") params.append(name, String(item));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

// keytally's error envelope puts the general case in `message` and what exactly went wrong in `description`
// ("body.refill.amount: Input should be greater than or equal to 1"): the reason shown is the most specific one.
export function explain(status, error, retryAfter, requestId) {
  const reason = error?.description || error?.message;
  switch (status) {
    case 401:
      return `keytally did not accept this credential: ${sentence(reason || "it may be revoked, expired or mistyped")} Sign out and sign in again.`;
    case 403:
      return `This credential is not allowed to do that${reason ? ` (${reason})` : ""}.`;
    case 429:
      return retryAfter
        ? `Too many requests: keytally asks you to wait ${retryAfter} seconds before trying again.`
        : "Too many requests: wait a little before trying again.";
    default:
      if (status >= 500) {
        return `keytally could not answer${requestId ? ` (request id ${requestId})` : ""}. Try again; quote the id if it persists.`;
      }
      return reason || `keytally answered ${status}.`;
  }
}

function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export function client(credential) {
  async function request(method, path, { query, body, text = false } = {}) {
    const headers = { Authorization: `Bearer ${credential}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    setPending(1);
    let response;
    try {
      response = await fetch(`${path}${queryString(query)}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "Could not reach keytally: check the connection and try again.");
    } finally {
      setPending(-1);
    }
    if (response.ok) return text ? response.text() : response.json();
    const payload = await response.json().catch(() => null);
    const answered = (name) => response.headers.get(name);
    throw new ApiError(
      response.status,
      explain(response.status, payload?.error, answered("Retry-After"), answered("X-Request-Id")),
    );
  }

  return {
    get: (path, query) => request("GET", path, { query }).then((envelope) => envelope.data),
    page: (path, query) => request("GET", path, { query }),
    text: (path) => request("GET", path, { text: true }),
    post: (path, body) => request("POST", path, { body }).then((envelope) => envelope.data),
    patch: (path, body) => request("PATCH", path, { body }).then((envelope) => envelope.data),
    delete: (path) => request("DELETE", path).then((envelope) => envelope.data),
  };
}
