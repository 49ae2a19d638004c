// Small behaviours for the whole site. No inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // Ask for confirmation on forms marked data-confirm (e.g. deactivating an account).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Export links (data-export): a large export takes seconds before the download starts; say so
  // until the server's download_done cookie (set with the file) carries this click's token.
  document.querySelectorAll("a[data-export]").forEach((link) => {
    const label = link.textContent;
    link.addEventListener("click", (event) => {
      if (link.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      const token = Math.random().toString(36).slice(2, 12);
      const url = new URL(link.href, window.location.href);
      url.searchParams.set("download_token", token);
      link.href = url.toString();
      link.setAttribute("aria-busy", "true");
      link.classList.add("disabled");
      link.textContent = "正在生成，请稍候…";
      const started = Date.now();
      const timer = window.setInterval(() => {
        const done = document.cookie.split("; ").includes("download_done=" + token);
        if (done || Date.now() - started > 120000) {
          window.clearInterval(timer);
          document.cookie = "download_done=; Max-Age=0; path=/";
          link.removeAttribute("aria-busy");
          link.classList.remove("disabled");
          link.textContent = label;
        }
      }, 400);
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

// A checkbox marked data-check-all="NAME" ticks or clears every checkbox named NAME in its form
// (choosing many rows of a list at once, e.g. 巡查发现 to turn into rectification items).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-check-all]").forEach((all) => {
    all.addEventListener("change", () => {
      const boxes = all.form ? Array.from(all.form.elements) : Array.from(document.querySelectorAll("input"));
      boxes.filter((box) => box.type === "checkbox" && box.name === all.dataset.checkAll).forEach((box) => {
        box.checked = all.checked;
      });
    });
  });
});
