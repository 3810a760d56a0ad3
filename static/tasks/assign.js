/* Admin "assign area to experts": remember the order in which experts are ticked (the split order),
 * show it next to each name, and reload the form when the area changes (experts are offered by area). */
(function () {
  "use strict";
  const form = document.querySelector('[data-testid="assign-form"]');
  if (!form) return;
  const order = form.querySelector('input[name="expert_order"]');
  const boxes = [...form.querySelectorAll('input[name="experts"]')];
  let picked = (order.value || "").split(",").filter(Boolean);
  picked = picked.filter((id) => boxes.some((box) => box.value === id && box.checked));
  for (const box of boxes) if (box.checked && !picked.includes(box.value)) picked.push(box.value);

  function render() {
    order.value = picked.join(",");
    for (const box of boxes) {
      let badge = box.parentElement.querySelector(".order");
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "order";
        box.parentElement.prepend(badge);
      }
      const index = picked.indexOf(box.value);
      badge.textContent = index >= 0 ? String(index + 1) : "";
    }
  }

  for (const box of boxes) {
    box.addEventListener("change", () => {
      picked = picked.filter((id) => id !== box.value);
      if (box.checked) picked.push(box.value);
      render();
    });
  }
  const area = form.querySelector('select[name="area"]');
  if (area) {
    area.addEventListener("change", () => {
      const params = new URLSearchParams(window.location.search);
      params.set("area", area.value);
      window.location.search = params.toString();
    });
  }
  render();
})();
