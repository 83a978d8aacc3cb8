"""Autogenerate a migration against a scratch SQLite database, then add row-level security for every
tenant-owned table it creates. Usage: python scripts/makemigration.py "message" [rev_id]"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    message = sys.argv[1]
    rev_id = sys.argv[2] if len(sys.argv) > 2 else None
    scratch = tempfile.mkdtemp(prefix="c311mig")
    env = {**os.environ, "CIVIC311_INSTANCE": scratch, "DATABASE_URL": "", "MIGRATION_DATABASE_URL": ""}
    civic = [sys.executable, "-m", "civic311.cli"]
    subprocess.run([*civic, "db", "upgrade", "heads", "-d", str(ROOT / "migrations")], env=env, check=True)
    before = set((ROOT / "migrations/versions").glob("*.py"))
    args = [*civic, "db", "revision", "--autogenerate", "-m", message, "-d", str(ROOT / "migrations")]
    if rev_id:
        args += ["--rev-id", rev_id]
    subprocess.run(args, env=env, check=True)
    (new,) = set((ROOT / "migrations/versions").glob("*.py")) - before
    text = new.read_text()
    tables = [m.group(1) for m in re.finditer(r"op.create_table\('(\w+)',(.*?)\n    \)\n", text, re.S)
              if "sa.PrimaryKeyConstraint('tenant_id'" in m.group(2)]
    lines = "".join(f'    enable_tenant_rls("{t}")\n' for t in tables)
    text = text.replace('    # For each new tenant-owned table: enable_tenant_rls("table_name")\n',
                        "    ensure_app_role()\n" + lines)
    new.write_text(text)
    print(f"wrote {new.name}; row-level security for: {', '.join(tables) or 'no new tenant tables'}")


if __name__ == "__main__":
    main()
