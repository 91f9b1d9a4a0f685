// Sign in and sign up. Errors from auth (wrong password, e-mail taken, a field it refused) show under the form and
// beside the field they name.
import { ApiError } from "../api";
import { field, fill, h } from "../dom";
import { staticView, type AppContext, type View } from "./view";

export function signInView(root: HTMLElement, app: AppContext): View {
  const error = h("p", { class: "error", role: "alert", "data-testid": "auth-error" });
  const form = h("form", { class: "card auth", "data-testid": "signin-form" },
    h("h1", {}, "Sign in"),
    h("label", {}, "E-mail", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    error,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    h("p", { class: "muted" }, "No account yet? ", h("a", { href: "/signup", "data-link": true }, "Sign up")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(form, error, () => app.session.signIn(field(form, "email").value, field(form, "password").value));
  });
  fill(root, form);
  return staticView;
}

export function signUpView(root: HTMLElement, app: AppContext): View {
  const error = h("p", { class: "error", role: "alert", "data-testid": "auth-error" });
  const form = h("form", { class: "card auth", "data-testid": "signup-form" },
    h("h1", {}, "Create an account"),
    h("label", {}, "Name", h("input", { name: "displayName", autocomplete: "name", required: true, maxlength: 100 })),
    h("label", {}, "E-mail", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
    h("label", {}, "Password",
      h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 10, maxlength: 256 }),
      h("small", { class: "muted" }, "At least 10 characters.")),
    error,
    h("button", { type: "submit", class: "primary" }, "Sign up"),
    h("p", { class: "muted" }, "Already have an account? ", h("a", { href: "/signin", "data-link": true }, "Sign in")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(form, error, () =>
      app.session.signUp(field(form, "email").value, field(form, "password").value, field(form, "displayName").value));
  });
  fill(root, form);
  return staticView;
}

async function submit(form: HTMLFormElement, error: HTMLElement, action: () => Promise<void>): Promise<void> {
  const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
  button.disabled = true;
  error.textContent = "";
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  try {
    await action();
  } catch (e) {
    const failure = e instanceof ApiError ? e : new ApiError(0, "Something went wrong. Try again.");
    error.textContent = failure.status === 401 ? "Wrong e-mail or password." : failure.describe();
    for (const name of Object.keys(failure.fieldErrors)) {
      form.querySelector(`input[name="${CSS.escape(name)}"]`)?.setAttribute("aria-invalid", "true");
    }
  } finally {
    button.disabled = false;
  }
}
