using DaprIoT.DeviceTwins.Model;
using DaprIoT.LightBulb;
using DaprIoT.SousVide;

namespace DaprIoT.DeviceServices.Tests.Twin;

/// <summary>A user's patch is checked before anything is issued; every error names its field and what it allows.</summary>
public sealed class TwinValidationTests
{
    private static readonly LightBulbModel Bulb = new();
    private static readonly SousVideModel Cooker = new();

    [Fact]
    public void A_brightness_out_of_range_is_refused_naming_the_field_and_its_range()
    {
        var (values, errors) = Bulb.Validate(TwinHarness.Patch("""{"brightnessPct":101}"""));

        Assert.Empty(values);
        var error = Assert.Single(errors);
        Assert.Equal(LightBulbModel.BrightnessPct, error.Field);
        Assert.Equal("must be a whole number from 0 to 100 %", error.Message);
    }

    [Theory]
    [InlineData("2699")]
    [InlineData("6501")]
    [InlineData("3000.5")]
    [InlineData("\"3000\"")]
    public void A_colour_temperature_outside_2700_to_6500_whole_kelvin_is_refused(string value)
    {
        var (_, errors) = Bulb.Validate(TwinHarness.Patch($$"""{"colorTempK":{{value}}}"""));

        var error = Assert.Single(errors);
        Assert.Equal(LightBulbModel.ColorTempK, error.Field);
        Assert.Contains("from 2700 to 6500 K", error.Message);
    }

    [Fact]
    public void A_power_that_is_not_a_boolean_is_refused()
    {
        var (_, errors) = Bulb.Validate(TwinHarness.Patch("""{"power":"on"}"""));

        var error = Assert.Single(errors);
        Assert.Equal(LightBulbModel.Power, error.Field);
        Assert.Equal("must be true or false", error.Message);
    }

    [Theory]
    [InlineData("19.9")]
    [InlineData("95.1")]
    [InlineData("60.05")]
    public void A_cooker_target_outside_its_range_or_steps_is_refused_with_the_range(string value)
    {
        var (_, errors) = Cooker.Validate(TwinHarness.Patch($$"""{"targetTempC":{{value}}}"""));

        var error = Assert.Single(errors);
        Assert.Equal(SousVideModel.TargetTempC, error.Field);
        Assert.Equal("must be a number from 20.0 to 95.0 °C in steps of 0.1", error.Message);
    }

    [Fact]
    public void A_cooker_target_is_brought_to_one_decimal_so_it_compares_with_what_the_device_reports()
    {
        var (values, errors) = Cooker.Validate(TwinHarness.Patch("""{"targetTempC":60,"heater":true}"""));

        Assert.Empty(errors);
        Assert.Equal("60.0", values[SousVideModel.TargetTempC].GetRawText());
        Assert.Equal("true", values[SousVideModel.Heater].GetRawText());
    }

    [Fact]
    public void An_unknown_property_is_refused_by_name()
    {
        var (_, errors) = Bulb.Validate(TwinHarness.Patch("""{"colour":"red"}"""));

        var error = Assert.Single(errors);
        Assert.Equal("colour", error.Field);
        Assert.Equal("a lightbulb has no property 'colour'", error.Message);
    }

    [Fact]
    public void A_property_the_device_only_reports_cannot_be_set()
    {
        var (_, errors) = Cooker.Validate(TwinHarness.Patch("""{"waterTempC":50.0}"""));

        var error = Assert.Single(errors);
        Assert.Equal(SousVideModel.WaterTempC, error.Field);
        Assert.Contains("cannot be set", error.Message);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"power":null}""")]
    public void An_empty_patch_is_refused_listing_what_can_be_set(string patch)
    {
        var (values, errors) = Bulb.Validate(TwinHarness.Patch(patch));

        Assert.Empty(values);
        var error = Assert.Single(errors);
        Assert.Equal("patch", error.Field);
        Assert.Equal("set at least one of power, brightnessPct, colorTempK", error.Message);
    }

    [Fact]
    public void Every_bad_field_of_a_patch_is_reported_not_only_the_first()
    {
        var (_, errors) = Bulb.Validate(TwinHarness.Patch("""{"power":1,"brightnessPct":-1,"colorTempK":3000}"""));

        Assert.Equal([LightBulbModel.Power, LightBulbModel.BrightnessPct], errors.Select(e => e.Field));
    }

    [Fact]
    public void A_valid_patch_leaves_out_the_properties_it_does_not_change()
    {
        var (values, errors) = Bulb.Validate(TwinHarness.Patch("""{"power":false,"brightnessPct":null}"""));

        Assert.Empty(errors);
        Assert.Equal([LightBulbModel.Power], values.Keys);
        Assert.True(Bulb.TurnsOff(DeviceModel.SetCommand, values));
    }
}
