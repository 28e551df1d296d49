package org.envoi.ui.addons;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.MultiStatus;
import org.eclipse.core.runtime.OperationCanceledException;
import org.eclipse.core.runtime.Status;
import org.eclipse.core.runtime.SubMonitor;
import org.eclipse.equinox.p2.core.IProvisioningAgent;
import org.eclipse.equinox.p2.core.IProvisioningAgentProvider;
import org.eclipse.equinox.p2.core.ProvisionException;
import org.eclipse.equinox.p2.engine.IProfile;
import org.eclipse.equinox.p2.engine.IProfileRegistry;
import org.eclipse.equinox.p2.engine.ProvisioningContext;
import org.eclipse.equinox.p2.metadata.IInstallableUnit;
import org.eclipse.equinox.p2.metadata.Version;
import org.eclipse.equinox.p2.operations.InstallOperation;
import org.eclipse.equinox.p2.operations.ProfileChangeOperation;
import org.eclipse.equinox.p2.operations.ProvisioningJob;
import org.eclipse.equinox.p2.operations.ProvisioningSession;
import org.eclipse.equinox.p2.operations.UninstallOperation;
import org.eclipse.equinox.p2.operations.UpdateOperation;
import org.eclipse.equinox.p2.query.IQueryResult;
import org.eclipse.equinox.p2.query.QueryUtil;
import org.eclipse.equinox.p2.repository.metadata.IMetadataRepository;
import org.eclipse.equinox.p2.repository.metadata.IMetadataRepositoryManager;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;

/**
 * What the update sites offer and what a p2 profile has installed, and the changes between them, through the p2
 * operations API. Works on any agent: the running product's, or (tests, an administrator's tool) another
 * installation's {@code p2/} folder.
 */
public final class Addons {

    /** The site categories in the order the screen shows them (category.xml labels); others come after. */
    static final List<String> CATEGORY_ORDER = List.of("Providers", "Transports", "File stores", "UI", "CLI", "Core");
    /** The product's own root feature: it holds this screen, so it cannot be uninstalled from it. */
    static final String PRODUCT_FEATURE = "org.envoi.product.feature.feature.group";
    static final String FRAMEWORK_ADMIN = "org.eclipse.equinox.frameworkadmin.equinox";

    /**
     * One feature group: offered by a site ({@code available}) and/or installed as a root of the profile.
     * {@code category} is the site category's label, or empty when no site offers it.
     */
    public record Addon(String id, String name, String category, Version available, Version installed,
            boolean root) {

        public boolean canInstall() {
            return installed == null && available != null;
        }

        public boolean canUpdate() {
            return installed != null && available != null && available.compareTo(installed) > 0;
        }

        public boolean canUninstall() {
            // features only: the product's own unit and its runtime feature hold this screen and the platform
            return installed != null && root && id.endsWith(".feature.group") && !id.equals(PRODUCT_FEATURE);
        }
    }

    /** The list, and what could not be read (a site offline, no profile) in one line each. */
    public record Catalog(List<Addon> addons, List<String> problems) {
    }

    private final IProvisioningAgent agent;
    private final String profileId;
    private final List<URI> sites;
    private final ProvisioningSession session;

    public Addons(IProvisioningAgent agent, String profileId, List<URI> sites) {
        this.agent = agent;
        this.profileId = profileId;
        this.sites = List.copyOf(sites);
        this.session = new ProvisioningSession(agent);
    }

    /**
     * The running product's agent and profile ({@code eclipse.p2.data.area}, {@code eclipse.p2.profile} of its
     * config.ini). p2 starts here, when the screen first needs it, not with the product.
     */
    public static Addons forRunningProduct(List<URI> sites) throws ProvisionException {
        BundleContext context = FrameworkUtil.getBundle(Addons.class).getBundleContext();
        IProvisioningAgent agent = null;
        try {
            Collection<ServiceReference<IProvisioningAgent>> current = context.getServiceReferences(
                    IProvisioningAgent.class, "(" + IProvisioningAgent.SERVICE_CURRENT + "=true)");
            if (!current.isEmpty()) {
                agent = context.getService(current.iterator().next());
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (agent == null) {
            ServiceReference<IProvisioningAgentProvider> ref = context.getServiceReference(
                    IProvisioningAgentProvider.class);
            if (ref == null) {
                throw new ProvisionException("p2 is not running in this product (no IProvisioningAgentProvider)");
            }
            agent = context.getService(ref).createAgent(null);
        }
        wakeFrameworkAdmin(context);
        return new Addons(agent, IProfileRegistry.SELF, sites);
    }

    /**
     * The product keeps p2's FrameworkAdmin (which writes bundles.info when an install is configured) above the
     * framework's start level, so that its immediate component does not run at every start: bring it down and
     * start it now that the Add-ons screen needs it.
     */
    static void wakeFrameworkAdmin(BundleContext context) throws ProvisionException {
        int active = context.getBundle(0).adapt(FrameworkStartLevel.class).getStartLevel();
        for (Bundle b : context.getBundles()) {
            if (!FRAMEWORK_ADMIN.equals(b.getSymbolicName()) || b.getState() == Bundle.ACTIVE) {
                continue;
            }
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            try {
                if (level.getStartLevel() > active) {
                    level.setStartLevel(active);
                }
                b.start(Bundle.START_TRANSIENT);
            } catch (BundleException | RuntimeException e) {
                throw new ProvisionException("p2 cannot change this product: " + FRAMEWORK_ADMIN + " did not start ("
                        + e.getMessage() + ")");
            }
        }
    }

    public List<URI> sites() {
        return sites;
    }

    public Catalog load(IProgressMonitor monitor) {
        SubMonitor sub = SubMonitor.convert(monitor, "Reading the update sites", sites.size() * 10 + 2);
        List<String> problems = new ArrayList<>();
        Map<String, Addon> byId = new LinkedHashMap<>();
        String locale = Locale.getDefault().toString();
        for (URI site : sites) {
            IMetadataRepository repo;
            try {
                repo = metadata().loadRepository(site, sub.split(8));
            } catch (ProvisionException e) {
                problems.add(site + " could not be read: " + e.getMessage());
                sub.worked(2);
                continue;
            }
            for (IInstallableUnit category : repo.query(QueryUtil.createIUCategoryQuery(), sub.split(1))) {
                String label = category.getProperty(IInstallableUnit.PROP_NAME, locale);
                for (IInstallableUnit iu : repo.query(QueryUtil.createIUCategoryMemberQuery(category), null)) {
                    if (!QueryUtil.isGroup(iu)) {
                        continue;
                    }
                    Addon known = byId.get(iu.getId());
                    if (known == null || known.available().compareTo(iu.getVersion()) < 0) {
                        byId.put(iu.getId(), new Addon(iu.getId(), name(iu, locale), label == null ? "" : label,
                                iu.getVersion(), null, false));
                    }
                }
            }
            sub.worked(1);
        }
        IProfile profile = profile();
        if (profile == null) {
            problems.add("no p2 profile '" + profileId + "' in " + agentLocation()
                    + ": this installation cannot change its add-ons");
        } else {
            for (IInstallableUnit iu : profile.query(QueryUtil.createIUGroupQuery(), sub.split(2))) {
                boolean root = "true".equals(profile.getInstallableUnitProperty(iu, IProfile.PROP_PROFILE_ROOT_IU));
                Addon offered = byId.get(iu.getId());
                if (offered != null) {
                    byId.put(iu.getId(), new Addon(iu.getId(), offered.name(), offered.category(), offered
                            .available(), iu.getVersion(), root));
                } else if (root) {
                    byId.put(iu.getId(), new Addon(iu.getId(), name(iu, locale), "", null, iu.getVersion(), true));
                }
            }
        }
        List<Addon> list = new ArrayList<>(byId.values());
        list.sort(Comparator.comparingInt((Addon a) -> categoryRank(a.category())).thenComparing(Addon::category)
                .thenComparing(Addon::name, String.CASE_INSENSITIVE_ORDER));
        return new Catalog(list, problems);
    }

    static int categoryRank(String label) {
        int i = CATEGORY_ORDER.indexOf(label);
        return i >= 0 ? i : label.isEmpty() ? CATEGORY_ORDER.size() + 1 : CATEGORY_ORDER.size();
    }

    /** Installs the newest version the sites offer of each feature group. */
    public IStatus install(Collection<String> ids, IProgressMonitor monitor) {
        SubMonitor sub = SubMonitor.convert(monitor, "Installing", 100);
        List<IInstallableUnit> ius = new ArrayList<>();
        for (String id : ids) {
            IInstallableUnit iu = offered(id, sub.split(10 / Math.max(1, ids.size())));
            if (iu == null) {
                return Status.error("The update sites do not offer " + id + ": " + sites);
            }
            ius.add(iu);
        }
        return perform(new InstallOperation(session, ius), sub.split(90));
    }

    /** Updates each installed feature group to the newest version the sites offer. */
    public IStatus update(Collection<String> ids, IProgressMonitor monitor) {
        SubMonitor sub = SubMonitor.convert(monitor, "Updating", 100);
        UpdateOperation op = new UpdateOperation(session, installed(ids));
        return perform(op, sub.split(100));
    }

    public IStatus uninstall(Collection<String> ids, IProgressMonitor monitor) {
        SubMonitor sub = SubMonitor.convert(monitor, "Uninstalling", 100);
        return perform(new UninstallOperation(session, installed(ids)), sub.split(100));
    }

    /** Resolves, then runs the provisioning job in the caller's job; cancelling stops both, p2 rolls back. */
    private IStatus perform(ProfileChangeOperation op, IProgressMonitor monitor) {
        SubMonitor sub = SubMonitor.convert(monitor, 100);
        op.setProfileId(profileId);
        ProvisioningContext context = new ProvisioningContext(agent);
        URI[] repos = sites.toArray(URI[]::new);
        context.setMetadataRepositories(repos);
        context.setArtifactRepositories(repos);
        op.setProvisioningContext(context);
        try {
            IStatus resolved = op.resolveModal(sub.split(30));
            if (resolved.getSeverity() == IStatus.CANCEL) {
                return Status.CANCEL_STATUS;
            }
            if (resolved.getCode() == UpdateOperation.STATUS_NOTHING_TO_UPDATE) {
                return resolved;
            }
            if (resolved.getSeverity() == IStatus.ERROR || !op.hasResolved()) {
                String details = op.getResolutionDetails();
                return details == null ? resolved
                        : new MultiStatus(Addons.class, 0, new IStatus[] { resolved }, details, null);
            }
            ProvisioningJob job = op.getProvisioningJob(null);
            if (job == null) {
                return resolved;
            }
            return job.runModal(sub.split(70));
        } catch (OperationCanceledException e) {
            return Status.CANCEL_STATUS;
        }
    }

    private IInstallableUnit offered(String id, IProgressMonitor monitor) {
        SubMonitor sub = SubMonitor.convert(monitor, Math.max(1, sites.size()));
        IInstallableUnit best = null;
        for (URI site : sites) {
            try {
                IQueryResult<IInstallableUnit> r = metadata().loadRepository(site, sub.split(1)).query(QueryUtil
                        .createLatestQuery(QueryUtil.createIUQuery(id)), null);
                for (IInstallableUnit iu : r) {
                    if (best == null || best.getVersion().compareTo(iu.getVersion()) < 0) {
                        best = iu;
                    }
                }
            } catch (ProvisionException e) {
                // that site is offline: the others may have it
            }
        }
        return best;
    }

    private List<IInstallableUnit> installed(Collection<String> ids) {
        IProfile profile = profile();
        List<IInstallableUnit> ius = new ArrayList<>();
        if (profile != null) {
            for (String id : ids) {
                profile.query(QueryUtil.createIUQuery(id), null).forEach(ius::add);
            }
        }
        return ius;
    }

    private IProfile profile() {
        IProfileRegistry registry = agent.getService(IProfileRegistry.class);
        return registry == null ? null : registry.getProfile(profileId);
    }

    private Object agentLocation() {
        org.eclipse.equinox.p2.core.IAgentLocation location = agent.getService(
                org.eclipse.equinox.p2.core.IAgentLocation.class);
        return location == null ? "this product" : location.getRootLocation();
    }

    private IMetadataRepositoryManager metadata() throws ProvisionException {
        IMetadataRepositoryManager m = agent.getService(IMetadataRepositoryManager.class);
        if (m == null) {
            throw new ProvisionException("p2's metadata repository manager is missing from this product");
        }
        return m;
    }

    private static String name(IInstallableUnit iu, String locale) {
        String n = iu.getProperty(IInstallableUnit.PROP_NAME, locale);
        return n == null || n.isBlank() ? iu.getId() : n;
    }
}
