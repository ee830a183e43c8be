#!/usr/bin/env python3
"""Writes kubeconform JSON schemas ({kind}_{version}.json) from CustomResourceDefinition YAML files.

Usage: crd-to-schema.py OUT_DIR CRD.yaml...   (needs PyYAML; the check script puts it on PYTHONPATH)
Strict like the Kubernetes schemas: an object that lists its properties accepts no others.
"""
import json
import os
import sys

import yaml


def strict(node):
    if isinstance(node, dict):
        if node.get('x-kubernetes-int-or-string'):
            node = {k: v for k, v in node.items() if k not in ('type', 'anyOf')}
            node['oneOf'] = [{'type': 'string'}, {'type': 'integer'}]
        out = {k: strict(v) for k, v in node.items()}
        if 'properties' in out and 'additionalProperties' not in out and not out.get('x-kubernetes-preserve-unknown-fields'):
            out['additionalProperties'] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def main(out_dir, files):
    os.makedirs(out_dir, exist_ok=True)
    for path in files:
        with open(path, encoding='utf-8') as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get('kind') != 'CustomResourceDefinition':
                    continue
                kind = crd['spec']['names']['kind'].lower()
                for version in crd['spec']['versions']:
                    schema = strict(version['schema']['openAPIV3Schema'])
                    # metadata is checked by the API server, not by the CRD schema
                    schema.setdefault('properties', {})['metadata'] = {'type': 'object'}
                    target = os.path.join(out_dir, f"{kind}_{version['name']}.json")
                    with open(target, 'w', encoding='utf-8') as out:
                        json.dump(schema, out, separators=(',', ':'), sort_keys=True)
                    print(f'crd-to-schema: {target}', file=sys.stderr)


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] == '--help':
        print(__doc__)
        sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] == '--help' else 2)
    main(sys.argv[1], sys.argv[2:])
