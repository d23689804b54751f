// Sign-in security page: once the passkey library reports a new passkey, go on to the page
// that shows the recovery codes of a first factor (or back to the security page).
document.addEventListener("otp_webauthn.register_complete", () => {
  const box = document.getElementById("passkey-add");
  window.location.assign(box ? box.dataset.afterUrl : window.location.href);
});
