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
// 显示: forms marked data-reveal ask the server for a hidden value (e.g. an applicant's whole ID
// number; access-checked and audited there) and put it in the element the attribute names. Without
// scripts the form posts normally and the page comes back with the value shown.
document.addEventListener("DOMContentLoaded", () => {
  const token = document.querySelector('meta[name="csrf-token"]');
  document.querySelectorAll("form[data-reveal]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const target = document.querySelector(form.dataset.reveal);
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.content : "" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        target.textContent += "（无法显示）";
        return;
      }
      const data = await response.json();
      target.textContent = data.id_number;
      form.remove();
    });
  });
  // Buttons marked data-print open the browser's print dialog (a receipt, 回执).
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
