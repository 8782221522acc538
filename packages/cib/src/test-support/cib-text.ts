/** Builds small CIB documents for tests; sections default to a minimal valid cluster. */
export interface CibParts {
  crmConfig?: string;
  nodes?: string;
  resources?: string;
  constraints?: string;
  rscDefaults?: string;
  opDefaults?: string;
  tags?: string;
  fencing?: string;
  status?: string;
  rootAttrs?: string;
}

export const DEFAULT_RESOURCES = `
  <primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"/>
  <primitive id="r2" class="ocf" provider="heartbeat" type="Dummy"/>`;

export function cibText(parts: CibParts = {}): string {
  return `<cib ${parts.rootAttrs ?? 'admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"'}>
  <configuration>
    <crm_config>${parts.crmConfig ?? ''}</crm_config>
    <nodes>${parts.nodes ?? '<node id="1" uname="node1"/><node id="2" uname="node2"/>'}</nodes>
    <resources>${parts.resources ?? DEFAULT_RESOURCES}</resources>
    <constraints>${parts.constraints ?? ''}</constraints>
    ${parts.rscDefaults !== undefined ? `<rsc_defaults>${parts.rscDefaults}</rsc_defaults>` : ''}
    ${parts.opDefaults !== undefined ? `<op_defaults>${parts.opDefaults}</op_defaults>` : ''}
    ${parts.tags !== undefined ? `<tags>${parts.tags}</tags>` : ''}
    ${parts.fencing !== undefined ? `<fencing-topology>${parts.fencing}</fencing-topology>` : ''}
  </configuration>
  <status>${parts.status ?? ''}</status>
</cib>`;
}

/** A CIB whose only constraint is a location holding `ruleXml`. */
export function cibWithRule(ruleXml: string): string {
  return cibText({ constraints: `<rsc_location id="loc" rsc="r1">${ruleXml}</rsc_location>` });
}
