// Team: the organization's members and their roles (GET /v1/organizations/{organizationSlug}/members); with
// members:write (owners, admins within their own role) a role is changed and a membership paused or resumed here.
// Each change holds from the member's next request (keytally checks the grant on every call).
import { attempt, h, replace, section, select, table } from "../dom.js";

export const title = "Team";
export const needs = "members:read";
const ROLES = ["owner", "admin", "member"];

export async function render(context, main) {
  const notice = h("div", { class: "notice", "aria-live": "polite" });
  const list = h("div", { class: "results" }, h("p", { class: "loading" }, "Loading…"));
  main.append(notice, list);
  const writable = context.may("members:write") && !context.readOnly;
  const show = async () => {
    const members = await context.api.get(`/v1/organizations/${encodeURIComponent(context.organizationSlug)}/members`);
    replace(
      list,
      section(
        `${members.length} members`,
        table(
          "The organization's members",
          [
            { key: "email", label: "Email", value: (member) => member.email ?? member.user_id },
            {
              key: "role",
              label: "Role",
              value: (member) => member.role,
              render: (member) => (writable ? roleControl(member) : member.role),
            },
            { key: "is_active", label: "Active", value: (member) => (member.is_active ? "yes" : "no") },
            ...(writable
              ? [{ key: "actions", label: "Actions", value: () => "", render: (member) => pause(member) }]
              : []),
          ],
          members,
          { empty: "No members.", testid: "members" },
        ),
      ),
    );
  };
  const change = (member, body, done) =>
    attempt(notice, async () => {
      await context.api.patch(
        `/v1/organizations/${encodeURIComponent(context.organizationSlug)}/members/${member.user_id}`,
        body,
      );
      notice.replaceChildren(h("p", { class: "done" }, `${member.email ?? member.user_id}: ${done}.`));
      await show();
    });
  const roleControl = (member) => {
    const picker = select(
      "role",
      ROLES.map((role) => [role, role]),
      member.role,
    );
    picker.setAttribute("aria-label", `Role of ${member.email ?? member.user_id}`);
    picker.addEventListener("change", () =>
      change(member, { role: picker.value }, `now ${picker.value}, from their next request`),
    );
    return picker;
  };
  const pause = (member) =>
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: () =>
          change(
            member,
            { is_active: !member.is_active },
            member.is_active ? "paused, from their next request" : "active again",
          ),
      },
      member.is_active ? "Deactivate" : "Activate",
    );
  await show();
}
