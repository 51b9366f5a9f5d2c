"""The scanner on code as people write it: a clean corpus that must stay silent, and positives
in every assignment form and file type the generic rule reads, plus each provider's format.

``tests/data/secrets_corpus/clean`` holds realistic TS/TSX/Python/Go/Kotlin/YAML/CI/compose
files full of the words ``token``, ``secret``, ``password`` and ``key`` and no credential.
The positives are generated here, from random values of the shapes real secrets have.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from launchready.checks.secrets.common import secret_finding
from launchready.model import Severity
from launchready.secrets.redact import value_hash
from launchready.secrets.rules import ALNUM, RULES, noise
from launchready.secrets.scanner import Scanner

CLEAN = Path(__file__).parent / "data" / "secrets_corpus" / "clean"
SCANNER = Scanner()


#: value shapes of generated credentials: ``openssl rand -base64 32``, hex, alphanumeric, a
#: password with symbols and a long random number
SHAPES = {
    "base64": lambda seed: noise(43, seed, ALNUM + "+/") + "=",
    "hex": lambda seed: noise(40, seed, "0123456789abcdef"),
    "alnum": lambda seed: noise(24, seed),
    "password": lambda seed: noise(18, seed, ALNUM + "-_!@^*."),
    "number": lambda seed: noise(32, seed, "0123456789"),
}

#: (file name, line template) — every way a literal gets assigned to a secret-named key
CONTEXTS = [
    ("src/lib/auth.ts", 'export const SESSION_SECRET = "{v}";'),
    ("src/lib/stripe.ts", 'const stripeSecret: string = "{v}";'),
    ("src/app/page.tsx", '<Provider apiKey="{v}" region="eu" />'),
    ("src/config.js", "module.exports = {{ clientSecret: '{v}' }};"),
    ("src/config.mjs", "export default {{ auth: {{ token: `{v}` }} }};"),
    ("app/settings.py", 'SECRET_KEY = "{v}"'),
    ("app/core/config.py", '    DATABASE_PASSWORD: str = "{v}"'),
    ("app/client.py", 'token = os.environ.get("API_TOKEN", "{v}")'),
    ("app/mail.py", 'client = Client(api_key="{v}", timeout=10)'),
    ("cmd/server/main.go", 'var apiToken string = "{v}"'),
    ("internal/db/db.go", '\tsecret := "{v}"'),
    ("internal/cfg/cfg.go", '\tcfg := Config{{Password: "{v}"}}'),
    ("app/src/main/java/Auth.kt", 'val clientSecret: String = "{v}"'),
    ("src/main/java/App.java", 'System.setProperty("db.password", "{v}");'),
    ("src/main/java/Keys.java", 'private static final String API_KEY = "{v}";'),
    ("config/initializers/secret.rb", "config.secret_key_base = '{v}'"),
    ("config/app.php", "$config['db_password'] .= '{v}';"),
    ("config/services.php", "    'api_key' => '{v}',"),
    ("Makefile", "DEPLOY_TOKEN ?= {v}"),
    ("build.mk", "RELEASE_TOKEN :::= {v}"),
    ("scripts/deploy.sh", 'export API_TOKEN="{v}"'),
    (".env", "NEXTAUTH_SECRET={v}"),
    (".env.production", "STRIPE_API_KEY='{v}'"),
    ("config/app.yaml", "  client_secret: {v}"),
    ("docker-compose.yml", "      - JWT_SECRET={v}"),
    ("compose.example.yml", "  SECRET_KEY_BASE: ${{SECRET_KEY_BASE:-{v}}}"),
    (".github/workflows/deploy.yml", "      DEPLOY_TOKEN: {v}"),
    ("config.toml", 'password = "{v}"'),
    ("settings.ini", "secret_key = {v}"),
    ("src/main/resources/application.properties", "spring.datasource.password={v}"),
    ("config/app.json", '  "apiKey": "{v}",'),
    ("events/webhook.json", '"body": "{{\\"awsSecretKey\\":\\"{v}\\"}}"'),
    ("conf/settings.xml", "    <password>{v}</password>"),
    ("src/Startup.cs", 'var credentials = "{v}";'),
    (".npmrc", "_auth={v}"),
    ("deploy/task.json", '{{"config.env": "API_TOKEN={v}\\nLOG_LEVEL=info"}}'),
    ("k8s/configmap.yaml", '  app.env: "LOG_LEVEL=info\\nSECRET_KEY={v}"'),
]


def _generic_positives() -> list[tuple[str, str, str, str]]:
    out = []
    for i, (path, template) in enumerate(CONTEXTS):
        for shape, make in SHAPES.items():
            value = make(f"{path}:{shape}")
            if shape == "password" and ("{v}" not in template.split('"')[0] or "'" in template):
                # unquoted scalars end at a quote-like or comment character: keep the symbols
                # a password would use in those files
                value = value.replace("!", "9").replace("^", "k")
            out.append((f"{i:02d}-{shape}", path, template.format(v=value), value))
    # one secret split across literals joined with +
    a, b = noise(16, "cat-a"), noise(16, "cat-b")
    out.append(("concat", "src/keys.ts", f'const apiKey = "{a}" + "{b}";', a + b))
    return out


def _provider_positives() -> list[tuple[str, str, str, str]]:
    out = []
    for rule in RULES:
        if rule.generic:
            continue
        for j, tp in enumerate(rule.tp):
            out.append((f"{rule.id}-{j}-env", ".env.production", tp, rule.id))
            out.append((f"{rule.id}-{j}-yaml", "deploy/values.yaml", "  " + tp, rule.id))
    return out


def _multiline_positives() -> list[tuple[str, str, str, str, int]]:
    """(label, path, text, value, line of the value): a value on the line after its key, or
    literals joined across lines."""
    v, a, b = noise(24, "ml-v"), noise(14, "ml-a"), noise(14, "ml-b")
    return [
        ("next-line-ts", "src/lib/auth.ts", f'const sessionSecret =\n  "{v}";', v, 2),
        ("next-line-yaml", "config/app.yaml", f'client_secret:\n  "{v}"', v, 2),
        ("next-line-kt", "app/Keys.kt", f'val apiToken: String =\n    "{v}"', v, 2),
        ("plus-end", "src/keys.ts", f'const apiKey = "{a}" +\n  "{b}";', a + b, 1),
        ("plus-start", "src/keys.js", f'var apiKey = "{a}"\n  + "{b}";', a + b, 1),
        ("paren-plus", "app/keys.py", f'API_TOKEN = (\n    "{a}"\n    + "{b}"\n)', a + b, 2),
        ("paren-implicit", "app/keys.py", f'SECRET_KEY = (\n    "{a}"\n    "{b}"\n)', a + b,
         2),
        ("xml-element", "conf/settings.xml", f"<dbPassword>\n    {v}\n</dbPassword>", v, 2),
        ("java-plus", "src/Keys.java",
         f'private static final String TOKEN = "{a}" +\n        "{b}";', a + b, 1),
    ]


GENERIC = _generic_positives()
MULTILINE = _multiline_positives()
PROVIDER = _provider_positives()
#: (label, path, line) whose credential is a local default: a low finding with the reason
LOCAL = [
    ("compose-url", "docker-compose.yml",
     "      DATABASE_URL: postgresql://postgres:postgres@db:5432/app"),
    ("ci-service", ".github/workflows/ci.yml",
     "          DATABASE_URL: postgres://postgres:postgres@localhost:5432/test"),
    ("setup-script", "scripts/setup.sh",
     'psql "postgres://app:' + noise(12, "local") + '@127.0.0.1:5432/app" -c "select 1"'),
    ("commented", "docker-compose.override.yml",
     "      # REDIS_URL: redis://default:" + noise(16, "redis") + "@redis:6379/0"),
    ("placeholder", "deploy/prod.env",
     "DATABASE_URL=postgres://admin:admin@db.acme-prod.net:5432/app"),
    ("well-known", "deploy/staging.env",
     "RABBITMQ_URL=amqp://guest:guest@mq.acme-staging.net:5672/"),
    ("notebook", "README.md",
     "    http://127.0.0.1:8888/?token=" + noise(48, "nb", "0123456789abcdef")),
]


def test_corpus_sizes() -> None:
    lines = sum(len((p).read_text().splitlines()) for p in CLEAN.rglob("*") if p.is_file())
    assert lines >= 300
    assert len(GENERIC) + len(MULTILINE) + len(PROVIDER) + len(LOCAL) >= 200


def test_clean_code_yields_no_finding() -> None:
    found = []
    for path in sorted(CLEAN.rglob("*")):
        if path.is_file():
            rel = os.path.relpath(path, CLEAN)
            found += [(rel, m.line, m.rule.id) for m in SCANNER.scan(path.read_bytes(), rel)]
    assert found == []


@pytest.mark.parametrize(("label", "path", "line", "value"), GENERIC,
                         ids=[g[0] for g in GENERIC])
def test_generic_positive_is_found(label: str, path: str, line: str, value: str) -> None:
    data = f"// before\n{line}\n// after\n".encode()
    found = [(m.rule.id, m.line, m.note) for m in SCANNER.scan(data, path)
             if m.hash == value_hash(value)]
    assert found == [("generic-secret", 2, "")], label


@pytest.mark.parametrize(("label", "path", "text", "value", "line"), MULTILINE,
                         ids=[m[0] for m in MULTILINE])
def test_multiline_positive_is_found_whole(label: str, path: str, text: str, value: str,
                                           line: int) -> None:
    data = f"// before\n{text}\n// after\n".encode()
    found = [(m.rule.id, m.line) for m in SCANNER.scan(data, path)]
    assert found == [("generic-secret", line + 1)], label
    assert [m.hash for m in SCANNER.scan(data, path)] == [value_hash(value)], label


@pytest.mark.parametrize(("label", "path", "line", "rule_id"), PROVIDER,
                         ids=[p[0] for p in PROVIDER])
def test_provider_positive_is_found(label: str, path: str, line: str, rule_id: str) -> None:
    found = SCANNER.scan(f"# config\n{line}\n".encode(), path)
    assert [m.rule.id for m in found] == [rule_id], label


@pytest.mark.parametrize(("label", "path", "line"), LOCAL, ids=[x[0] for x in LOCAL])
def test_local_defaults_are_low_with_the_reason(label: str, path: str, line: str) -> None:
    (m,) = SCANNER.scan(line.encode(), path)
    assert m.note.startswith("local default"), label
    finding = secret_finding("SEC001", where=path, match=m, impact="x")
    assert finding.severity is Severity.LOW
    assert "local default" in finding.evidence


def test_development_and_test_sections_of_an_environment_file_are_low() -> None:
    """Rails-style per-environment YAML: the development and test keys are local defaults,
    the production one is not; a CI job called ``test:`` is no environment section."""
    dev, test, prod = (noise(64, f"skb-{e}", "0123456789abcdef") for e in ("d", "t", "p"))
    text = (f"# secrets.yml\ndefault: &default\n  adapter: postgresql\n\ndevelopment:\n"
            f"  secret_key_base: {dev}\n\ntest:\n  # fixtures\n  secret_key_base: {test}\n\n"
            f"production:\n  secret_key_base: {prod}\n").encode()
    notes = {m.hash: m.note for m in SCANNER.scan(text, "config/secrets.yml")}
    assert notes[value_hash(dev)] == "local default: a value for the development environment only"
    assert notes[value_hash(test)].startswith("local default: a value for the test")
    assert notes[value_hash(prod)] == ""
    ci = f"test:\n  script:\n    - export API_TOKEN={dev}\n".encode()
    assert [m.note for m in SCANNER.scan(ci, ".gitlab-ci.yml")] == [""]


@pytest.mark.parametrize("line", [
    "SENTRY_DSN=https://1234abcd:5678ef@sentry.example.com/30",
    "see https://deploy:" + noise(12, "doc") + "@registry.example.org/v2/",
    "DATABASE_URL=postgres://postgres:changethis@db.acme-prod.net:5432/app",
], ids=["sentry-doc", "registry-doc", "placeholder-password"])
def test_documentation_hosts_and_placeholders_are_no_finding(line: str) -> None:
    assert SCANNER.scan(line.encode(), "README.md") == []


def test_firebase_web_config_key_is_low() -> None:
    key = "AI" + "za" + noise(35, "firebase")
    text = (f'const firebaseConfig = {{\n  apiKey: "{key}",\n'
            '  authDomain: "acme-dash.firebaseapp.com",\n};\n')
    (m,) = SCANNER.scan(text.encode(), "src/firebase.ts")
    assert m.rule.id == "google-api-key" and m.note.startswith("public web API key")


def test_generic_values_in_documentation_are_low() -> None:
    line = 'Set `"token": "' + noise(24, "docs") + '"` in the request body.'
    (m,) = SCANNER.scan(line.encode(), "docs/api/webhooks.mdx")
    assert m.rule.id == "generic-secret" and m.note.startswith("in documentation")
    (m,) = SCANNER.scan(line.encode(), "src/webhooks.ts")
    assert m.note == ""


@pytest.mark.parametrize("path", ["app/users/tests/test_admin.py", "src/login.test.tsx",
                                  "internal/auth/auth_test.go", "spec/models/user_spec.rb",
                                  "app/src/test/java/AuthTest.java", "db/seeds/test.rb"])
def test_generic_values_in_tests_are_low_fixtures(path: str) -> None:
    line = 'password = "' + noise(18, "fixture", ALNUM + "@!") + '"'
    (m,) = SCANNER.scan(line.encode(), path)
    assert m.rule.id == "generic-secret" and m.note.startswith("in a test")
    key = "sk_" + "live_" + noise(30, "in-test")
    (m,) = SCANNER.scan(f'stripe_key = "{key}"'.encode(), path)
    assert m.rule.id == "stripe-live-secret" and m.note == ""  # a provider's key is real


def test_a_tuple_of_names_is_not_a_call() -> None:
    """A migration's dependency ``('auth', '0006_...')`` names no credential."""
    text = b"    dependencies = [\n        ('auth', '0006_require_contenttypes_0002'),\n    ]\n"
    assert SCANNER.scan(text, "users/migrations/0001_initial.py") == []
    assert SCANNER.scan(b"token = os.getenv('API_TOKEN', '" + noise(24, "getenv").encode()
                        + b"')", "app/client.py") != []


LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.mark.parametrize(("alphabet", "length", "floor"), [
    (LOWER_ALNUM, 20, 0.95), (LOWER_ALNUM, 25, 0.99), (LOWER_ALNUM.upper(), 25, 0.99),
    (LOWER_ALNUM + "_-", 32, 0.99),
], ids=["lower-20", "lower-25", "upper-25", "lower-dash-32"])
def test_random_single_case_values_are_found(alphabet: str, length: int, floor: float) -> None:
    """Random lower-case alphanumerics break into word-sized pieces by chance (``rogu``,
    ``emrtwizolp``): they are still found, digits scattered among the letters tell them from
    names, and a value may start with ``-``."""
    values = [noise(length, f"single-case:{i}", alphabet) for i in range(400)]
    found = sum(bool(SCANNER.scan(f'apiToken = "{v}"'.encode(), "src/client.ts"))
                for v in values)
    assert found >= floor * len(values)
    value = "-" + noise(31, "dash-start", LOWER_ALNUM)
    assert SCANNER.scan(f'API_TOKEN = "{value}"'.encode(), "app/client.py") != []


def test_a_local_services_token_is_low() -> None:
    """A token beside its own service's URL on this machine (a CI job's local QStash) is a
    local default; beside a real host, or beside another service's local URL, it is not."""
    token = noise(40, "qstash", ALNUM + "+/")
    ci = f'    env:\n      QSTASH_URL: "http://127.0.0.1:8080"\n      QSTASH_TOKEN: "{token}"\n'
    (m,) = SCANNER.scan(ci.encode(), ".github/workflows/e2e.yml")
    assert m.note.startswith("local default: QSTASH_URL points at 127.0.0.1")
    real = ci.replace("127.0.0.1:8080", "qstash.upstash.io")
    assert [m.note for m in SCANNER.scan(real.encode(), ".github/workflows/e2e.yml")] == [""]
    other = f"APP_URL=http://localhost:3000\nSESSION_SECRET={token}\n"
    assert [m.note for m in SCANNER.scan(other.encode(), ".env")] == [""]
    # the app's own signing key is no local service's, wherever its URL points
    own = f"NEXTAUTH_URL=http://localhost:4002\nNEXTAUTH_SECRET={token}\n"
    assert [m.note for m in SCANNER.scan(own.encode(), ".env.example")] == [""]


def test_a_value_its_line_calls_dummy_is_low() -> None:
    key = "whsec_" + noise(32, "dummy-wh")
    (m,) = SCANNER.scan(f'  secret: "{key}", // dummy secret'.encode(), "src/hooks.ts")
    assert m.rule.id == "stripe-webhook-secret" and m.note.startswith("a comment calls it")
    (m,) = SCANNER.scan(f'  secret: "{key}",'.encode(), "src/hooks.ts")
    assert m.note == ""
    (m,) = SCANNER.scan(f'  url: "https://h.test/#dummy", secret: "{key}"'.encode(), "a.ts")
    assert m.note == ""
    xor = noise(32, "xor", "0123456789abcdef")
    above = f"// This is not actually a secret key, just a string we XOR with\n" \
            f'const XOR_SECRET_KEY = "{xor}";\n'
    (m,) = SCANNER.scan(above.encode(), "lib/case.ts")
    assert m.note.startswith("a comment calls it")
    code = f'const label = "not a real secret";\nconst XOR_SECRET_KEY = "{xor}";\n'
    (m,) = SCANNER.scan(code.encode(), "lib/case.ts")
    assert m.note == ""


def test_random_uuid_keys_are_found() -> None:
    """A UUID under a secret name (Heroku's legacy API keys, many SaaS tokens) is found
    whatever its digits happen to be: its dashes do not count against its entropy."""
    values = [str(uuid.UUID(bytes=hashlib.sha256(f"uuid:{i}".encode()).digest()[:16]))
              for i in range(400)]
    found = sum(bool(SCANNER.scan(f'HEROKU_API_KEY = "{v}"'.encode(), "deploy/heroku.py"))
                for v in values)
    assert found == len(values)


@pytest.mark.parametrize("line", [
    'DISCOURSE_SMTP_PASSWORD: "pa$$word"', 'password = "P@ssw0rd123!"',
    'secret = "mys3cr3tValue"', 'token = "oauth2callback"',
    'callback_token = "handleOauth2CallbackV2Token"',
    '      local smtp_password="pa\\$\\$word"', '      SRH_TOKEN: "e2e_srh_token"',
    '    checkout_token: "2058578c41c7d9a5e3b6f0d4a9e2c17b",',
    '  nextPageToken: "CAUQAAhx7Zk3Wq9LmRtY2vB8"',
], ids=["leet-password", "leet-password-digits", "leet-secret", "one-number", "camel-name",
        "shell-escaped", "token-word", "checkout-id", "page-cursor"])
def test_sample_passwords_and_names_are_no_finding(line: str) -> None:
    assert SCANNER.scan(line.encode(), "config/app.yml") == []
