"""Update one credential with Seam's official Python client, for benches/run.sh.

Usage: update.py ENDPOINT CA_FILE ACS_CREDENTIAL_ID [COUNT]

The API key comes from SEAM_API_KEY. The client trusts only the CA certificates in
CA_FILE and ignores proxy variables. Without COUNT it sends one update and exits. With
COUNT it sends one update to open the connection, then COUNT more on the same client, and
prints the CPU and wall time per update of those COUNT calls as
`updates=N cpu_us=X wall_us=Y`.
"""

import os
import resource
import ssl
import sys
import time

from seam import Seam


def process_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit("usage: update.py ENDPOINT CA_FILE ACS_CREDENTIAL_ID [COUNT]")
    endpoint, ca_file, credential_id = argv[:3]
    count = int(argv[3]) if len(argv) == 4 else 0

    context = ssl.create_default_context(cafile=ca_file)
    seam = Seam(
        api_key=os.environ["SEAM_API_KEY"],
        endpoint=endpoint,
        httpx_options={"verify": context, "trust_env": False},
    )
    seam.acs.credentials.update(acs_credential_id=credential_id, code="1234")
    if count == 0:
        return

    cpu_start = process_cpu_seconds()
    wall_start = time.perf_counter()
    for _ in range(count):
        seam.acs.credentials.update(acs_credential_id=credential_id, code="1234")
    wall = time.perf_counter() - wall_start
    cpu = process_cpu_seconds() - cpu_start
    print(f"updates={count} cpu_us={cpu * 1e6 / count:.1f} wall_us={wall * 1e6 / count:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
