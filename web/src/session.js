// What the dashboard remembers: the credential and the chosen organization, in sessionStorage only (gone when the
// tab closes; never in a URL, a cookie or localStorage). Signing out removes both.

const CREDENTIAL = "keytally.credential";
const ORGANIZATION = "keytally.organization";

export const session = {
  credential: () => sessionStorage.getItem(CREDENTIAL),
  organization: () => sessionStorage.getItem(ORGANIZATION),
  signIn(credential) {
    sessionStorage.setItem(CREDENTIAL, credential);
  },
  choose(organizationSlug) {
    sessionStorage.setItem(ORGANIZATION, organizationSlug);
  },
  signOut() {
    sessionStorage.removeItem(CREDENTIAL);
    sessionStorage.removeItem(ORGANIZATION);
  },
};

// The one organization a credential is bound to, if any: an organization key's own, or a personal access token's
// `org` claim (a JWT's payload is readable by its holder; keytally checks its signature). A user key has none.
export function boundTo(credential, access) {
  if (access.role === null && !access.staff) return access.organizationSlug;
  const parts = credential.split(".");
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"))).org ?? null;
  } catch {
    return null;
  }
}
