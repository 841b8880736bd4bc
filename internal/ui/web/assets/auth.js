// The token exchange's page: keep the session's secret in this origin's
// storage (separate per port, unlike cookies) for the app to send with
// every API request, and go on to the app, replacing this address in the
// history.
const m = document.querySelector('meta[name="s3sso-session"]');
if (m) {
  localStorage.setItem("s3sso-session", m.content);
  location.replace(m.dataset.next || "/");
}
