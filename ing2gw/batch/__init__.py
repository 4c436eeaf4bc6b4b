"""`ing2gw migrate`: plan a repository's migration (plan), find its manifests (discover), edit
YAML documents and kustomizations in place (docs, kustomize), place the generated files (place),
write them safely and resumably (write, journal) and summarise the plan (summary).

Empty on purpose: importing one module of the package must not load the planner.
"""
