// What keyboard and screen reader users need on a page, after the GOV.UK Design System's
// patterns, checked in the browser (tests/chromium.py runs it on every page it saves): every
// problem found, as a sentence; none on a good page. It runs where it is evaluated.
(() => {
  const problems = [];
  const text = el => (el.textContent || "").replace(/\s+/g, " ").trim();
  const byId = id => document.getElementById(id);

  if (!document.documentElement.lang) problems.push("the page has no lang");
  if (!document.title.trim()) problems.push("the page has no title");
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 headings, not one`);
  if (document.querySelectorAll("main").length !== 1) problems.push("not one <main>");
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page is ${root.scrollWidth}px wide, wider than the window`);
  }
  let level = 1;
  document.querySelectorAll("main h1, main h2, main h3, main h4").forEach(h => {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`heading "${text(h)}" skips from h${level} to h${next}`);
    level = next;
  });

  const focusable = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const first = document.querySelector(focusable);
  if (!first || !first.classList.contains("skip-link")) {
    problems.push("the first stop for Tab is not a skip link");
  } else {
    const target = byId(first.getAttribute("href").slice(1));
    if (!target || target.tagName !== "MAIN") problems.push("the skip link misses <main>");
  }

  const seen = {};
  document.querySelectorAll("[id]").forEach(el => { seen[el.id] = (seen[el.id] || 0) + 1; });
  Object.entries(seen).forEach(([id, n]) => { if (n > 1) problems.push(`id "${id}" used ${n} times`); });

  document.querySelectorAll("input, select, textarea").forEach(el => {
    if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) return;
    const labels = [...(el.labels || [])].filter(label => text(label));
    const labelledBy = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(byId);
    if (!labels.length && !el.getAttribute("aria-label") && !labelledBy.length) {
      problems.push(`${el.tagName.toLowerCase()} "${el.name}" has no label`);
    }
    if ((el.type === "radio" || el.type === "checkbox") && document.getElementsByName(el.name).length > 1) {
      const group = el.closest("fieldset");
      if (!group || !group.querySelector("legend")) problems.push(`the ${el.name} choices have no fieldset and legend`);
    }
  });
  document.querySelectorAll("[aria-describedby]").forEach(el => {
    el.getAttribute("aria-describedby").split(/\s+/).forEach(id => {
      if (!byId(id)) problems.push(`aria-describedby points at a missing #${id}`);
    });
  });
  document.querySelectorAll("button, a[href]").forEach(el => {
    if (!text(el) && !el.getAttribute("aria-label")) problems.push(`a ${el.tagName.toLowerCase()} has no text`);
  });
  document.querySelectorAll("img:not([alt])").forEach(() => problems.push("an image has no alt"));

  const summary = document.querySelector(".error-summary");
  if (summary) {
    if (!document.title.startsWith("Error: ")) problems.push('the title does not begin "Error: "');
    const links = summary.querySelectorAll("a[href^='#']");
    if (!links.length) problems.push("the error summary links to nothing");
    links.forEach(link => {
      const target = byId(link.getAttribute("href").slice(1));
      if (!target) problems.push(`"${text(link)}" links to a missing ${link.getAttribute("href")}`);
      else if (!target.matches("input, select, textarea, main")) {
        problems.push(`"${text(link)}" links to a ${target.tagName.toLowerCase()}, not a field`);
      } else if (target.tagName !== "MAIN") {
        const group = target.closest("fieldset") || target;  // radios say it on their fieldset
        const describedBy = [target, group]
          .flatMap(el => (el.getAttribute("aria-describedby") || "").split(/\s+/));
        const told = describedBy.some(id => byId(id) && byId(id).classList.contains("error-message"));
        if (!told) problems.push(`the field for "${text(link)}" does not say its error`);
      }
    });
  }

  document.querySelectorAll("table").forEach((table, i) => {
    const name = table.caption ? `"${text(table.caption)}"` : `number ${i + 1}`;
    if (!text(table.caption || document.createElement("x")) && !table.getAttribute("aria-labelledby")) {
      problems.push(`table ${name} has no caption`);
    }
    const heads = table.querySelectorAll("thead th[scope=col]");
    if (!heads.length) problems.push(`table ${name} has no column headers`);
    heads.forEach(th => { if (!text(th)) problems.push(`table ${name} has an empty column header`); });
    table.querySelectorAll("tbody th:not([scope=row])").forEach(() => {
      problems.push(`table ${name} has a row header without scope="row"`);
    });
  });
  return problems;
})();
