"""AWS Load Balancer Controller v3.5 Gateway API support (gateway.k8s.aws/v1):
LoadBalancerConfiguration, ListenerRuleConfiguration (ExtensionRef) and TargetGroupConfiguration.

A Gateway's LoadBalancerConfiguration comes from `spec.infrastructure.parametersRef` or from the
GatewayClass's `parametersRef`; when both exist their `mergingMode` merges them, which is not
modelled (the Gateway's is used and the answers say so). Its `sourceRanges` become the load balancer's security group inbound rules: a client
outside them gets no connection at all (status 0), before any HTTP processing. WAF (`wafV2`),
Shield and mutual TLS decide elsewhere: unmodelled.

A ListenerRuleConfiguration referenced by a rule's ExtensionRef adds ALB listener-rule actions and
conditions: `fixed-response` answers with its status, body and (when set) content type; `jwt-validation`
answers 401 to a request without a bearer token (a token's validity is not checked);
`authenticate-oidc` / `authenticate-cognito` depend on the identity provider (with
`onUnauthenticatedRequest: deny` a request without the session cookie gets 401, with `allow` it
passes, with `authenticate` it is redirected: unmodelled). A `source-ip` condition narrows the
rule to the listed client addresses: for a client outside them the rule does not match and the
next rule by priority is tried (the router's RULE_NOT_MET).
TargetGroupConfiguration (health checks, target type, stickiness) does not change one simulated
answer; its protocol HTTPS (the route's routeConfigurations entry, else defaultConfiguration)
makes the ALB reach the Service's targets over TLS without validating their certificates
(Effects.tls); a BackendTLSPolicy is not implemented (Effects.ignores_backend_tls_policy).
"""

from __future__ import annotations

from dataclasses import dataclass

from ing2gw.simulate.addresses import Network, go_cidr_or_ip, in_networks
from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import (RULE_NOT_MET, Effects, EffectsBuilder, LocalReply, RequestState, Scope, Step,
                                                   mapping, seq)
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import Note, Reply, Unmodelled

GROUP = "gateway.k8s.aws"
LB_NEUTRAL = ("scheme", "loadBalancerName", "ipAddressType", "loadBalancerSubnets", "loadBalancerSubnetsSelector",
              "securityGroups", "securityGroupPrefixes", "loadBalancerAttributes", "tags", "customerOwnedIpv4Pool",
              "ipv4IPAMPoolId", "minimumLoadBalancerCapacity", "manageBackendSecurityGroupRules", "enableICMP",
              "defaultTargetGroupConfiguration", "mergingMode", "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
              "disableSecurityGroup")


class AwsLoadBalancerController:
    """The AWS Load Balancer Controller model (see the module docstring)."""

    name = "aws-load-balancer-controller"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return policy.group == GROUP and policy.kind == "TargetGroupConfiguration"

    def _lb_config(self, scope: Scope, b: EffectsBuilder) -> PolicyObject | None:
        found: list[PolicyObject] = []
        cls = self.store.classes.get(scope.gateway_class)
        if cls is not None and cls[1] is not None and cls[1][:2] == (GROUP, "LoadBalancerConfiguration"):
            c = self.store.get(GROUP, "LoadBalancerConfiguration", cls[1][2], cls[1][3])
            if c is not None:
                found.append(c)
        ref = self.store.gateway_params.get(scope.gateway)
        if ref is not None and ref[:2] == (GROUP, "LoadBalancerConfiguration"):
            g = self.store.get(GROUP, "LoadBalancerConfiguration", scope.gateway[0], ref[2])
            if g is not None:
                found.append(g)
        if len(found) == 2:
            b.unmodelled.append(f"{found[0].label()} (GatewayClass) and {found[1].label()} (Gateway) are merged by "
                                "mergingMode (not modelled; the Gateway's is used)")
        return found[-1] if found else None

    def listener_effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        lbc = self._lb_config(scope, b)
        if lbc is None:
            return b.build()
        b.apply(lbc)
        spec = lbc.spec
        if spec.get("sourceRanges") is not None:
            nets = tuple(n for n in (go_cidr_or_ip(str(r)) for r in seq(spec["sourceRanges"])) if n is not None)
            b.step(SourceRanges(nets, f"{lbc.label()} sourceRanges"), lbc)
        if spec.get("wafV2") is not None:
            b.step(Unmodelled(f"{lbc.label()}: the WAF web ACL decides whether the request passes (not modelled)"), lbc)
        if spec.get("shieldConfiguration") is not None:
            b.notes.append(f"{lbc.label()}: Shield Advanced does not change the answer")
        for li in seq(spec.get("listenerConfigurations")):
            if mapping(li).get("mutualAuthentication") is not None:
                b.unmodelled.append(f"{lbc.label()}: listener mutual authentication (client certificates) is not "
                                    "modelled")
        for key in sorted(spec):
            if key not in LB_NEUTRAL and key not in ("sourceRanges", "wafV2", "shieldConfiguration",
                                                     "listenerConfigurations"):
                b.unmodelled.append(f"{lbc.label()}: spec.{key} is not modelled")
        return b.build()

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        # the controller does not implement BackendTLSPolicy (its table: gatewayAPI.features
        # backend-tls-policy unsupported); only a target group protocol HTTPS encrypts
        b.ignores_backend_tls_policy = True
        for p in self.store.of(GROUP, "TargetGroupConfiguration"):
            t = mapping(p.spec.get("targetReference"))
            if (t.get("kind") or "Service") == "Service" and any(
                    ns == p.namespace and name == t.get("name") for ns, name, _ in scope.backends):
                b.apply(p)
                b.notes.append(f"{p.label()}: target group settings (health checks, protocol, stickiness) do not change "
                               "the answer")
                props = mapping(p.spec.get("defaultConfiguration"))
                for rc in seq(p.spec.get("routeConfigurations")):
                    rid = mapping(mapping(rc).get("routeIdentifier"))
                    if (rid.get("kind"), rid.get("namespace"), rid.get("name")) == scope.route:
                        props = {**props, **mapping(mapping(rc).get("targetGroupProps"))}
                if str(props.get("protocol", "")).upper() == "HTTPS":
                    b.tls.extend((ns, name, port) for ns, name, port in scope.backends
                                 if ns == p.namespace and name == t.get("name") and isinstance(port, int))
        return b.build()

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        if group != GROUP or kind != "ListenerRuleConfiguration":
            return None
        b = EffectsBuilder()
        c = self.store.get(GROUP, kind, scope.route_ns, name)
        if c is None:
            b.step(Reply(500, "invalid-filter", note=f"ListenerRuleConfiguration {scope.route_ns}/{name} does not "
                                                     "exist: the rule answers 500"))
            return b.build()
        b.apply(c)
        for cond in seq(c.spec.get("conditions")):
            cond = mapping(cond)
            if cond.get("field") == "source-ip" and cond.get("matchIndexes") is not None:
                b.unmodelled.append(f"{c.label()}: a source-ip condition for some matches only (matchIndexes) is not "
                                    "modelled (not applied)")
            elif cond.get("field") == "source-ip":
                values = seq(mapping(cond.get("sourceIPConfig")).get("values"))
                nets = tuple(n for n in (go_cidr_or_ip(str(v)) for v in values) if n is not None)
                refuses = any(mapping(a).get("type") == "fixed-response" for a in seq(c.spec.get("actions")))
                b.step(SourceCondition(nets, f"{c.label()} source-ip condition", refuses), c)
        for action in seq(c.spec.get("actions")):
            a = mapping(action)
            typ = a.get("type")
            if typ == "fixed-response":
                cfg = mapping(a.get("fixedResponseConfig"))
                # the content type of a page the proxy generates is compared only when the
                # configuration chooses it (as for Envoy Gateway's directResponse); unset, the ALB
                # sends text/plain, as nginx sends text/html with its error pages (neither shown)
                b.step(Reply(int(cfg.get("statusCode", 200)), "fixed-response",
                             (("content-type", str(cfg["contentType"])),) if cfg.get("contentType") else (),
                             None if cfg.get("messageBody") is None else str(cfg["messageBody"]), phase="action"), c)
            elif typ == "jwt-validation":
                b.step(BearerToken(f"{c.label()} jwt-validation"), c)
            elif typ in ("authenticate-oidc", "authenticate-cognito"):
                cfg = mapping(a.get("authenticateOIDCConfig") or a.get("authenticateCognitoConfig"))
                b.step(AlbAuthenticate(f"{c.label()} {typ}", str(cfg.get("onUnauthenticatedRequest", "authenticate")),
                                       str(cfg.get("sessionCookieName", "AWSELBAuthSessionCookie"))), c)
            elif typ == "forward":
                b.step(Note(f"{c.label()}: forward stickiness keeps requests on one target group"), c)
            else:
                b.unmodelled.append(f"{c.label()}: action {typ} is not modelled")
        return b.build()


@dataclass(eq=False)
class SourceRanges(Step):
    """Security group inbound rules: a client outside the ranges gets no connection."""

    nets: tuple[Network, ...]
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        if state.client is None:
            state.unmodelled.append(f"{self.what}: {state.client_unknown} (modelled as allowed)")
            return None
        if in_networks(state.client, self.nets):
            return None
        return LocalReply(0, "source-range-blocked", note=f"{self.what}: {state.client} cannot connect (the security "
                                                          "group drops the connection)")


@dataclass(eq=False)
class SourceCondition(Step):
    """A listener rule's source-ip condition: outside it, the rule does not match and the ALB
    goes on with the next listener rule by priority (LBC orders them by Gateway API precedence,
    ties by route and rule index: routeutils/route_rule_precedence.go), else the listener's
    default 404. The address is the TCP peer of the ALB's connection; X-Forwarded-For is never
    consulted (ELB docs, "Source IP address conditions")."""

    nets: tuple[Network, ...]
    what: str
    #: the rule answers itself (a fixed response): an unknown client is modelled as one it does
    #: not refuse, as the old side models an unknown client as allowed
    refuses: bool = False

    def run(self, state: RequestState) -> LocalReply | None:
        if state.client is None:
            state.unmodelled.append(f"{self.what}: {state.client_unknown}; whether this rule matches is not known "
                                    f"(modelled as {'not ' if self.refuses else ''}matching)")
            if self.refuses:
                return LocalReply(0, RULE_NOT_MET)
            return None
        if in_networks(state.client, self.nets):
            return None
        return LocalReply(0, RULE_NOT_MET, note=f"{self.what}: {state.client} is outside it, so this listener rule "
                                                "does not match; the next rule by priority is tried")


@dataclass(eq=False)
class BearerToken(Step):
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        if (state.header("authorization") or "").lower().startswith("bearer "):
            state.unmodelled.append(f"{self.what}: the token is not checked (modelled as valid)")
            return None
        return LocalReply(401, "jwt-401", note=f"{self.what}: the request carries no bearer token")


@dataclass(eq=False)
class AlbAuthenticate(Step):
    what: str
    on_unauthenticated: str
    cookie: str

    def run(self, state: RequestState) -> LocalReply | None:
        if self.cookie in state.request.cookies():
            state.unmodelled.append(f"{self.what}: the session cookie is not checked (modelled as valid)")
            return None
        if self.on_unauthenticated == "deny":
            return LocalReply(401, "authenticate-401", note=f"{self.what}: no session and onUnauthenticatedRequest deny")
        if self.on_unauthenticated == "allow":
            return None
        state.unmodelled.append(f"{self.what}: a request without a session is redirected to the identity provider "
                                "(not modelled)")
        return None
