// After a key is registered (django-otp-webauthn's event), back to the list of factors.
document.addEventListener("otp_webauthn.register_complete", () => {
  const page = document.getElementById("second-factor");
  if (page) window.location.assign(page.dataset.doneUrl);
});
