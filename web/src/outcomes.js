// The outcomes of a verification, as Unkey names them, with how the dashboard labels and colours them.
export const OUTCOMES = [
  { name: "valid", label: "Valid", color: "#15803d" },
  { name: "notFound", label: "Not found", color: "#6b7280" },
  { name: "forbidden", label: "Forbidden", color: "#b91c1c" },
  { name: "usageExceeded", label: "Usage exceeded", color: "#c2410c" },
  { name: "rateLimited", label: "Rate limited", color: "#ca8a04" },
  { name: "unauthorized", label: "Unauthorized", color: "#7c3aed" },
  { name: "disabled", label: "Disabled", color: "#0e7490" },
  { name: "insufficientPermissions", label: "Insufficient permissions", color: "#be185d" },
  { name: "expired", label: "Expired", color: "#1d4ed8" },
];
