// Small behaviours for the whole site. No inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // Ask for confirmation on forms marked data-confirm (e.g. deactivating an account).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Selects marked data-autosubmit submit their form on change (filters).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
});
