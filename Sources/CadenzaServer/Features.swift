/// Every feature of the application, once. Migrations run in this order, so a feature comes
/// after those whose tables it names; everything else a feature adds is found through here.
public enum Features {
    public static let all: [any Feature] = [
        PlatformFeature(),
        AccountsFeature(),
        LibraryFeature(),
        SubsonicFeature(),
        ListensFeature(),
        RadioFeature(),
        JukeboxFeature(),
        NotificationsFeature(),
        FederationFeature(),
        DiscoveryFeature(),
        WebFeature(),
    ]

    /// Every feature's settings sections, for loading and `--help`.
    public static var settingsSections: [any SettingsSection.Type] { all.flatMap(\.settingsSections) }
}
