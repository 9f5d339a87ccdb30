// What the page shows lives in the URL's fragment, #/<view>?<parameters>: a reload, a bookmark or a shared link
// opens the same view (organization, range, zone, filters). The credential never goes there.

export function parse(hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  return { view: decodeURIComponent(path), params: Object.fromEntries(new URLSearchParams(query)) };
}

// The fragment for a view and its parameters, leaving out the empty ones.
export function href(view, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return `#/${view}${text ? `?${text}` : ""}`;
}
