// Conveniences for the admin pages. Every page works without this file; the server
// enforces everything it does (portal access on Advanced and Professional plans, required
// fields, the bulk order acknowledgement).
(function () {
  "use strict";

  function each(selector, root, action) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), action);
  }

  // The Add User form: Advanced and Professional turn Voice Portal access on and lock it;
  // with portal access, email and username are required.
  function userForm(form) {
    var plans = form.querySelectorAll('input[name="feature_plan"]');
    var portal = form.elements.portal_access;
    var admin = form.elements.admin_access;
    var level = form.elements.admin_level;
    function plan() {
      var chosen = form.querySelector('input[name="feature_plan"]:checked');
      return chosen ? chosen.value : "standard";
    }
    function require(name, required) {
      var input = form.elements[name];
      if (!input) { return; }
      input.required = required;
      var marker = form.querySelector('label[for="f-' + name + '"] .req');
      if (marker) { marker.hidden = !required; }
    }
    function sync() {
      var locked = plan() === "advanced" || plan() === "professional";
      if (portal) {
        if (locked) { portal.checked = true; }
        portal.disabled = locked;
      }
      var needsLogin = portal ? portal.checked : false;
      require("email", needsLogin);
      require("username", needsLogin);
      if (level && admin) {
        level.disabled = !admin.checked;
        level.required = admin.checked;
      }
    }
    Array.prototype.forEach.call(plans, function (radio) { radio.addEventListener("change", sync); });
    if (portal) { portal.addEventListener("change", sync); }
    if (admin) { admin.addEventListener("change", sync); }
    sync();
  }

  // Blocks shown only for one choice: data-show-when="number_source=pool".
  function conditional(block) {
    var rule = block.getAttribute("data-show-when").split("=");
    var form = block.closest("form");
    function sync() {
      var chosen = form.querySelector('[name="' + rule[0] + '"]:checked') || form.elements[rule[0]];
      var shown = chosen && chosen.value === rule[1];
      block.hidden = !shown;
      each("input, select", block, function (input) { input.disabled = !shown; });
    }
    each('[name="' + rule[0] + '"]', form, function (input) { input.addEventListener("change", sync); });
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    each("form[data-user-form]", document, userForm);
    each("[data-show-when]", document, conditional);
    each("button[data-confirm]", document, function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
